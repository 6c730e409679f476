package dev.jitgw.policy.masking;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * Masking throughput on a streamed response: 1 MiB of model text (prose, code, a few values to
 * mask), sent as {@code text_delta} events of {@code deltaChars} chars on average, read in 16 KiB
 * network chunks.
 *
 * <ul>
 *   <li>{@code sse}: {@link SseMasker}, the streaming path (framing, JSON, hold-back, masking).
 *   <li>{@code bufferAll}: the baseline that buffers everything: the same response unstreamed, one
 *       JSON body through {@link JsonBodyMasker}.
 *   <li>{@code textStream}: {@link TextStream} alone over the same deltas (detectors and hold-back,
 *       no SSE or JSON).
 *   <li>{@code maskWhole}: {@link Masker#mask} over the whole text at once.
 *   <li>{@code event}: the time one event takes through {@link SseMasker}, each event arriving in a
 *       chunk of its own (sample mode: run with {@code -bm sample} for percentiles).
 * </ul>
 *
 * <p>Setup also prints how much each delta holds back on this text (a count, not a timing).
 *
 * <p>Each operation processes the whole response; divide its size (printed at setup) by the time
 * per operation for bytes per second. Run: {@code bench/jmh.sh gateway-policy MaskingBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MaskingBenchmark {
  /** Profiles: the two built-in ones, or every built-in detector. */
  @Param({"secrets+pii", "all"})
  public String profile;

  /** Mean chars of text per delta (sizes drawn uniformly from 1 to twice this). */
  @Param({"20", "80"})
  public int deltaChars;

  private MaskingProfile masking;
  private String text;
  private List<String> deltas;
  private byte[] sse;
  private byte[] body;

  private static final String[] PROSE = {
    "The gateway forwards each request after the policy allows it, and the response streams",
    " back through the masking stage event by event.",
    " Latency matters: a word is held only while it could still become an address.",
    " Naïve façade — “quoted” text, 日本語のテキスト, and emoji 🎉 mix with ASCII.",
    "\n\n```java\nint total = 0;\nfor (int i = 0; i < items.size(); i++) {\n  total += items.get(i);\n}\n```\n",
    " See section 4.2, version 1.2.3, build 20240611, and ratio 3.14159.",
    " Server: https://api.example.com/v1/messages?beta=true at 12:30:45 UTC.",
    " Ask support@example.com or call +1 415 555 0132 about card 4111 1111 1111 1111.",
    " The key is sk-ant-api03-R2D2C3POr2d2c3poR2D2C3POr2d2c3poR2D2C3POr2d2c3poAA, rotate it.",
    " Set API_KEY=ab12cd34ef56gh78ij90 in the environment, then restart.",
  };

  @Setup
  public void setUp() throws Exception {
    List<String> names =
        profile.equals("all") ? List.of("everything") : List.of(profile.split("\\+"));
    MaskingPolicy policy =
        profile.equals("all")
            ? MaskingPolicy.compile(
                PolicyYaml.masking(
                    "masking:\n  profiles:\n    everything: {detectors: ["
                        + String.join(", ", Masker.builtInDetectors())
                        + "]}\n"))
            : MaskingPolicy.defaults();
    masking = policy.profile(names);

    Random random = new Random(42);
    StringBuilder all = new StringBuilder();
    while (all.length() < (1 << 20)) {
      // Values are rare in real output: mostly prose and code.
      int pick = random.nextInt(100);
      all.append(PROSE[pick < 90 ? pick % 7 : 7 + pick % 3]);
    }
    text = all.toString();
    deltas = new ArrayList<>();
    for (int i = 0; i < text.length(); ) {
      int n = Math.min(text.length() - i, 1 + random.nextInt(2 * deltaChars));
      if (Character.isHighSurrogate(text.charAt(i + n - 1)) && i + n < text.length()) {
        n++;
      }
      deltas.add(text.substring(i, i + n));
      i += n;
    }
    SseTestSupport.Stream stream = new SseTestSupport.Stream().messageStart();
    stream.textBlock(0, deltas);
    sse = stream.messageEnd().bytes();
    List<byte[]> split = new ArrayList<>();
    for (int from = 0; from < sse.length; ) {
      int end = from;
      while (end + 1 < sse.length && !(sse[end] == '\n' && sse[end + 1] == '\n')) {
        end++;
      }
      end = Math.min(sse.length, end + 2);
      split.add(java.util.Arrays.copyOfRange(sse, from, end));
      from = end;
    }
    events = split.toArray(new byte[0][]);
    eventMasker = masking.newSseMasker();
    printHoldBack();
    ObjectMapper json = new ObjectMapper();
    body =
        json.writeValueAsBytes(
            Map.of(
                "id", "msg_01",
                "type", "message",
                "role", "assistant",
                "content", List.of(Map.of("type", "text", "text", text)),
                "usage", Map.of("input_tokens", 10, "output_tokens", 250000)));
    System.out.printf(
        "%n[setup] profile %s: text %d bytes UTF-8 in %d deltas; SSE %d bytes; JSON body %d bytes%n",
        profile,
        text.getBytes(StandardCharsets.UTF_8).length,
        deltas.size(),
        sse.length,
        body.length);
  }

  /**
   * How long text waits: after each delta, the chars held back (the start of what could still be a
   * value), and the share of the text that goes out in the event that brought it.
   */
  private void printHoldBack() {
    TextStream stream = masking.masker().stream();
    int[] held = new int[deltas.size()];
    long chars = 0;
    long releasedAtOnce = 0;
    int none = 0;
    for (int i = 0; i < held.length; i++) {
      String delta = deltas.get(i);
      stream.push(delta);
      held[i] = stream.held();
      chars += delta.length();
      releasedAtOnce += delta.length() - Math.min(delta.length(), held[i]);
      none += held[i] == 0 ? 1 : 0;
    }
    java.util.Arrays.sort(held);
    System.out.printf(
        "[setup] hold-back after a delta: nothing in %.1f %% of deltas; p50 %d, p90 %d, p99 %d,"
            + " max %d chars; %.1f %% of the text goes out in the event that brought it%n",
        100.0 * none / held.length,
        held[held.length / 2],
        held[held.length * 9 / 10],
        held[held.length * 99 / 100],
        held[held.length - 1],
        100.0 * releasedAtOnce / chars);
  }

  private byte[][] events;
  private SseMasker eventMasker;
  private int nextEvent;

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public byte[] event() throws MaskingException {
    if (nextEvent == events.length) {
      eventMasker.finish();
      eventMasker = masking.newSseMasker();
      nextEvent = 0;
    }
    byte[] event = events[nextEvent++];
    return eventMasker.accept(event, 0, event.length);
  }

  @Benchmark
  public int sse() throws MaskingException {
    SseMasker masker = masking.newSseMasker();
    int out = 0;
    for (int i = 0; i < sse.length; i += 16384) {
      out += masker.accept(sse, i, Math.min(16384, sse.length - i)).length;
    }
    return out + masker.finish().length;
  }

  @Benchmark
  public int bufferAll() throws MaskingException {
    return masking.jsonBodyMasker().mask(body).body().length;
  }

  @Benchmark
  public int textStream() {
    TextStream stream = masking.masker().stream();
    int out = 0;
    for (String delta : deltas) {
      out += stream.push(delta).length();
    }
    return out + stream.finish().length();
  }

  @Benchmark
  public int maskWhole() {
    return masking.masker().mask(text).text().length();
  }
}
