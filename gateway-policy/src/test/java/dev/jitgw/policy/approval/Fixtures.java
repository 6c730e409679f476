package dev.jitgw.policy.approval;

import dev.jitgw.core.decision.Decision;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** People, requests and holds the approval tests share. */
final class Fixtures {
  static final Instant T0 = Instant.parse("2025-06-02T09:00:00Z");
  static final String ISSUER = "https://idp.example.com";
  static final String RULE = "shell-tool-needs-approval";
  static final Set<String> ADMINS = Set.of("jitgw-admins");

  static final Identity ALICE = person("alice", "developers");
  static final Identity BOB = person("bob", "security");
  static final Identity CAROL = person("carol", "security");
  static final Identity DAN = person("dan", "security");
  static final Identity ERIN = person("erin", "jitgw-admins");
  static final Identity MALLORY = person("mallory", "developers");

  private Fixtures() {}

  static Identity person(String sub, String... groups) {
    return new Identity(
        sub,
        ISSUER,
        List.of(groups),
        Optional.empty(),
        Map.of("email", sub + "@example.com"),
        T0.plus(Duration.ofDays(1)),
        Optional.empty());
  }

  static RequestSummary summary(String text) {
    return new RequestSummary(
        "POST",
        "/v1/messages",
        Map.of("anthropic-version", "2023-06-01"),
        "claude-sonnet-4-5",
        1024,
        false,
        List.of(new RequestSummary.Tool("bash", "bash_20250124")),
        List.of(new RequestSummary.Skill("pptx", "anthropic", "latest")),
        "",
        text,
        text.length() + 100,
        50,
        0.42);
  }

  static Decision.Hold hold(Duration timeout) {
    return new Decision.Hold(RULE, List.of("security"), timeout, Optional.empty(), 1);
  }

  static Decision.Hold hold(Duration timeout, Duration grant) {
    return new Decision.Hold(RULE, List.of("security"), timeout, Optional.of(grant), 1);
  }

  static Decision.Hold hold(Duration timeout, int minApprovals) {
    return new Decision.Hold(RULE, List.of("security"), timeout, Optional.empty(), minApprovals);
  }

  static String digest(String body) {
    return BodyDigest.sha256(body.getBytes(StandardCharsets.UTF_8));
  }

  /** Records what listeners hear. */
  static final class Recorder implements ApprovalListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Approval> created = new CopyOnWriteArrayList<>();
    final List<Approval> decided = new CopyOnWriteArrayList<>();

    @Override
    public void onCreated(Approval approval) {
      created.add(approval);
      events.add("created " + approval.id());
    }

    @Override
    public void onVoted(Approval approval) {
      events.add("voted " + approval.id() + " " + approval.approvals());
    }

    @Override
    public void onDecided(Approval approval) {
      decided.add(approval);
      events.add(approval.state().id() + " " + approval.id());
    }

    List<String> events() {
      return new ArrayList<>(events);
    }
  }
}
