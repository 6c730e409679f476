package dev.jitgw.policy.approval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.jitgw.core.exchange.RequestSummary;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * One request held for human approval, and what became of it. Immutable: every change is a new
 * value with {@link #revision()} one higher, which is what {@link
 * ApprovalStore#compareAndSet(Approval, Approval)} compares.
 *
 * <p>Serialized by any {@code ObjectMapper} (no module needed) in the shape docs/approvals.md
 * documents for the admin API and the store file: snake_case keys, times as RFC 3339 strings,
 * lower-case states.
 *
 * @param id {@code apr_} and a ULID, so ids sort by creation time
 * @param state where the approval stands
 * @param subject who asked (issuer and {@code sub}): grants and the self-approval check use it
 * @param subjectDisplay how approvers see the requester (an e-mail claim, say); never a key
 * @param rule the policy rule that held the request
 * @param approvers the groups whose members may decide (besides the admin groups)
 * @param minApprovals distinct approvers that must approve; one deny is enough to deny
 * @param grant how long an approval lets the subject pass this rule again, if the rule grants
 * @param request what approvers see of the request
 * @param bodySha256 lower-case hex SHA-256 of the request body, as in the audit log
 * @param exchangeId the exchange that opened the approval
 * @param createdAt when it was opened
 * @param expiresAt when it expires if nobody decides
 * @param decisions the approvers' decisions, in order
 * @param decidedAt when it left {@link State#PENDING}
 * @param revision 0 when created, one more for every change
 */
@JsonSerialize(using = ApprovalJson.ApprovalSerializer.class)
@JsonDeserialize(using = ApprovalJson.ApprovalDeserializer.class)
public record Approval(
    String id,
    State state,
    Subject subject,
    String subjectDisplay,
    String rule,
    List<String> approvers,
    int minApprovals,
    Optional<Duration> grant,
    Request request,
    String bodySha256,
    String exchangeId,
    Instant createdAt,
    Instant expiresAt,
    List<Vote> decisions,
    Optional<Instant> decidedAt,
    int revision) {

  /** Longest prompt preview, in code points. */
  public static final int PREVIEW_LENGTH = 200;

  /**
   * How much of the prompt the preview masker sees. Masking a window longer than the preview keeps
   * a secret that starts inside the preview but ends after it (a PEM block) recognizable to the
   * masker; the window bounds the work on a large prompt.
   */
  static final int PREVIEW_MASK_WINDOW = 64 * 1024;

  public Approval {
    requireNonNull(id, "id");
    requireNonNull(state, "state");
    requireNonNull(subject, "subject");
    requireNonNull(subjectDisplay, "subjectDisplay");
    requireNonNull(rule, "rule");
    approvers = List.copyOf(approvers);
    if (minApprovals < 1) {
      throw new IllegalArgumentException("minApprovals: " + minApprovals + " (expected: >= 1)");
    }
    requireNonNull(grant, "grant");
    requireNonNull(request, "request");
    requireNonNull(bodySha256, "bodySha256");
    requireNonNull(exchangeId, "exchangeId");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(expiresAt, "expiresAt");
    decisions = List.copyOf(decisions);
    requireNonNull(decidedAt, "decidedAt");
    if (state == State.PENDING && decidedAt.isPresent()) {
      throw new IllegalArgumentException(
          "decidedAt: " + decidedAt + " (expected: none while pending)");
    }
    if (state != State.PENDING && decidedAt.isEmpty()) {
      throw new IllegalArgumentException("decidedAt: none (expected: a time once " + state + ")");
    }
    if (revision < 0) {
      throw new IllegalArgumentException("revision: " + revision + " (expected: >= 0)");
    }
  }

  public boolean isPending() {
    return state == State.PENDING;
  }

  /** How many distinct approvers approved so far. */
  public int approvals() {
    return (int) decisions.stream().filter(v -> v.choice() == Choice.APPROVE).count();
  }

  /** The decision that denied it, if one did. */
  public Optional<Vote> denial() {
    return decisions.stream().filter(v -> v.choice() == Choice.DENY).findFirst();
  }

  /** Whether {@code approver} already decided on this approval. */
  public boolean decidedBy(Subject approver) {
    return decisions.stream().anyMatch(v -> v.approver().equals(approver));
  }

  /** The next revision: a new state, perhaps one more decision, and the time it was decided. */
  Approval next(State next, List<Vote> votes, Optional<Instant> decided) {
    return new Approval(
        id,
        next,
        subject,
        subjectDisplay,
        rule,
        approvers,
        minApprovals,
        grant,
        request,
        bodySha256,
        exchangeId,
        createdAt,
        expiresAt,
        votes,
        decided,
        revision + 1);
  }

  /** A copy with one more decision. */
  Approval withVote(Vote vote, State next, Optional<Instant> decided) {
    List<Vote> votes = new ArrayList<>(decisions);
    votes.add(vote);
    return next(next, votes, decided);
  }

  /** Where an approval stands. Only {@link #PENDING} changes. */
  public enum State {
    PENDING,
    APPROVED,
    DENIED,
    /** Nobody decided before {@link Approval#expiresAt()}. */
    EXPIRED,
    /** Every held request left (the callers disconnected, or the gateway stopped) first. */
    ABANDONED;

    /** The lower-case name used in JSON and in {@code ?state=}. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    public boolean isFinal() {
      return this != PENDING;
    }

    /**
     * @throws IllegalArgumentException for anything but one of the lower-case names
     */
    public static State fromId(String id) {
      for (State state : values()) {
        if (state.id().equals(id)) {
          return state;
        }
      }
      throw new IllegalArgumentException(
          "state: '" + id + "' (expected: pending, approved, denied, expired or abandoned)");
    }
  }

  /** An approver's choice. */
  public enum Choice {
    APPROVE,
    DENY;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Choice fromId(String id) {
      for (Choice choice : values()) {
        if (choice.id().equals(id)) {
          return choice;
        }
      }
      throw new IllegalArgumentException("decision: '" + id + "' (expected: approve or deny)");
    }
  }

  /**
   * One approver's decision.
   *
   * @param approver who decided
   * @param approverDisplay how they are shown
   * @param choice approve or deny
   * @param reason why, in their words
   * @param at when
   */
  public record Vote(
      Subject approver, String approverDisplay, Choice choice, String reason, Instant at) {
    public Vote {
      requireNonNull(approver, "approver");
      requireNonNull(approverDisplay, "approverDisplay");
      requireNonNull(choice, "choice");
      requireNonNull(reason, "reason");
      requireNonNull(at, "at");
    }
  }

  /**
   * What approvers see of the held request: enough to decide, not the body (the audit log has it).
   *
   * @param method HTTP method
   * @param path path without the query string
   * @param model the {@code model} field, or {@code ""}
   * @param maxTokens the {@code max_tokens} field, or 0
   * @param stream the {@code stream} field
   * @param tools the names of the tools offered to the model
   * @param skills the ids of {@code container.skills}
   * @param preview the start of the prompt text, masked, at most {@link #PREVIEW_LENGTH} code
   *     points
   * @param estimatedCostUsd the worst-case cost policy saw
   */
  public record Request(
      String method,
      String path,
      String model,
      long maxTokens,
      boolean stream,
      List<String> tools,
      List<String> skills,
      String preview,
      double estimatedCostUsd) {
    public Request {
      requireNonNull(method, "method");
      requireNonNull(path, "path");
      requireNonNull(model, "model");
      tools = List.copyOf(tools);
      skills = List.copyOf(skills);
      requireNonNull(preview, "preview");
    }

    /** The summary as approvers see it; {@code previewMasker} masks the prompt's start. */
    public static Request of(RequestSummary summary, UnaryOperator<String> previewMasker) {
      requireNonNull(summary, "summary");
      requireNonNull(previewMasker, "previewMasker");
      return new Request(
          summary.method(),
          summary.path(),
          summary.model(),
          summary.maxTokens(),
          summary.stream(),
          summary.tools().stream().map(RequestSummary.Tool::name).toList(),
          summary.skills().stream().map(RequestSummary.Skill::skillId).toList(),
          Approval.preview(summary.text(), previewMasker),
          summary.estimatedCostUsd());
    }
  }

  /**
   * The first {@link #PREVIEW_LENGTH} code points of {@code text} after masking, never splitting a
   * surrogate pair nor a {@code [MASKED:<detector>]} marker, and ending in {@code …} when cut.
   * Masking runs before the cut, on a longer window: cutting first could split a secret in two, and
   * half a key is no longer recognized by its detector.
   */
  static String preview(String text, UnaryOperator<String> masker) {
    String masked = String.valueOf(masker.apply(prefix(text, PREVIEW_MASK_WINDOW)));
    String cut = prefix(masked, PREVIEW_LENGTH);
    if (cut.length() == masked.length()) {
      return cut;
    }
    int open = cut.lastIndexOf('[');
    if (open >= 0 && cut.indexOf(']', open) < 0 && masked.startsWith(MASK_MARKER, open)) {
      int close = masked.indexOf(']', open);
      // "[MASKED:an" would read as a value: keep the whole marker, or none of it.
      cut =
          close >= 0 && close - open <= 80
              ? masked.substring(0, close + 1)
              : cut.substring(0, open);
      if (cut.length() == masked.length()) {
        return cut;
      }
    }
    return cut + "…";
  }

  /** How masking marks a value it replaced (contract section 4): {@code [MASKED:<detector>]}. */
  private static final String MASK_MARKER = "[MASKED:";

  /** At most {@code codePoints} code points from the start of {@code text}. */
  static String prefix(String text, int codePoints) {
    if (text.length() <= codePoints) {
      return text;
    }
    int end = 0;
    for (int n = 0; n < codePoints && end < text.length(); n++) {
      end += Character.charCount(text.codePointAt(end));
    }
    return text.substring(0, end);
  }
}
