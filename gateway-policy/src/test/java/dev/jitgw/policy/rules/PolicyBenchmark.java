package dev.jitgw.policy.rules;

import dev.jitgw.core.exchange.PriceTable;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.exchange.RequestSummaryParser;
import dev.jitgw.core.identity.Identity;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Decision time for a 50-rule policy where the request falls through to the last rule (the worst
 * case: every condition evaluated), and request-summary parsing of 1 KiB, 100 KiB and 10 MiB
 * bodies.
 *
 * <p>{@code decide50Rules}: one rule in five is a comprehension over {@code request.tools} ({@code
 * exists}), which costs CEL's interpreter several times a comparison. {@code decide50ScalarRules}:
 * the same policy without them (comparisons, {@code in}, {@code startsWith} and conjunctions only).
 * No rule reads {@code request.text}, so the body size does not change the decision time: the
 * summary is parsed before it, and the variables hold the text by reference.
 *
 * <p>Run: {@code bench/jmh.sh gateway-policy PolicyBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PolicyBenchmark {
  @Param({"1024", "102400", "10485760"})
  public int bodyBytes;

  private Policy policy;
  private Policy scalarPolicy;
  private Identity identity;
  private RequestSummary summary;
  private byte[] body;
  private final RequestSummaryParser parser = new RequestSummaryParser(PriceTable.defaults());
  private final Instant now = Instant.now();

  @Setup
  public void setUp() {
    policy = policy(true);
    scalarPolicy = policy(false);
    identity =
        new Identity(
            "alice",
            "https://idp.example",
            List.of("eng", "ml"),
            Optional.of("release"),
            Map.of("repository", "acme/app", "ref", "refs/heads/main"),
            now.plusSeconds(300),
            Optional.empty());
    body = body(bodyBytes);
    summary = parse();
  }

  /**
   * 49 rules that do not match, then one that allows. With comprehensions, every fifth rule is a
   * {@code request.tools.exists(...)}; without, those are left out of the rotation.
   */
  private static Policy policy(boolean comprehensions) {
    StringBuilder rules = new StringBuilder("version: 1\nrules:\n");
    for (int i = 0; i < 49; i++) {
      int kind = comprehensions ? i % 5 : new int[] {0, 1, 3, 4}[i % 4];
      String when =
          switch (kind) {
            case 0 -> "request.model.startsWith(\"claude-opus-" + i + "\")";
            case 1 -> "\"team-" + i + "\" in identity.groups && request.max_tokens > 100000";
            case 2 -> "request.tools.exists(t, t.name == \"tool-" + i + "\")";
            case 3 -> "identity.claims.repository == \"acme/repo-" + i + "\"";
            default -> "request.estimated_cost_usd > 1000.0 && identity.purpose == \"p" + i + "\"";
          };
      rules
          .append("  - name: rule-")
          .append(i)
          .append("\n    when: '")
          .append(when.replace("'", "''"))
          .append("'\n    deny: no\n");
    }
    rules.append("  - name: everyone\n    when: \"true\"\n    allow: {}\n");
    return PolicyLoader.compile("benchmark", rules.toString());
  }

  private static byte[] body(int size) {
    StringBuilder json =
        new StringBuilder(
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"stream\":true,"
                + "\"tools\":[{\"name\":\"bash\",\"type\":\"bash_20250124\"}],"
                + "\"system\":\"You are careful.\",\"messages\":[");
    String turn =
        "{\"role\":\"user\",\"content\":\"" + "lorem ipsum dolor sit amet ".repeat(40) + "\"},";
    while (json.length() + turn.length() + 3 < size) {
      json.append(turn);
    }
    // The last turn fills the body up to its size: a 1 KiB body holds no whole turn above.
    String end = "{\"role\":\"user\",\"content\":\"end\"}]}";
    int padding = Math.max(0, size - json.length() - end.length());
    json.append(end, 0, end.length() - 4).append(" ".repeat(padding)).append("\"}]}");
    return json.toString().getBytes(StandardCharsets.UTF_8);
  }

  private RequestSummary parse() {
    return parser.parse(
        "POST",
        "/v1/messages",
        List.of(Map.entry("content-type", "application/json")),
        new ByteArrayInputStream(body),
        body.length);
  }

  @Benchmark
  public Object decide50Rules() {
    return policy.evaluate(identity, summary, now).decision();
  }

  @Benchmark
  public Object decide50ScalarRules() {
    return scalarPolicy.evaluate(identity, summary, now).decision();
  }

  @Benchmark
  public RequestSummary parseSummary() {
    return parse();
  }
}
