package dev.jitgw.policy.masking;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one response is masked with: the union of the masking profiles a policy decision names
 * ({@code allow.mask}): detectors, {@code fields}, and what happens to thinking ({@link
 * ThinkingMode#DROP} when any of the profiles says so). Built by {@link MaskingPolicy#profile}.
 *
 * <p>Immutable and thread-safe; the maskers it creates for a response are not.
 */
public final class MaskingProfile {
  private static final MaskingProfile NONE =
      new MaskingProfile(List.of(), Masker.none(), Set.of(), ThinkingMode.LEAVE);

  private final List<String> names;
  private final Masker masker;
  private final Set<String> fields;
  private final ThinkingMode thinking;
  private final ContentMasker content;

  MaskingProfile(List<String> names, Masker masker, Set<String> fields, ThinkingMode thinking) {
    this.names = List.copyOf(names);
    this.masker = requireNonNull(masker, "masker");
    TreeSet<String> lower = new TreeSet<>();
    for (String field : fields) {
      lower.add(field.toLowerCase(Locale.ROOT));
    }
    this.fields = Set.copyOf(lower);
    this.thinking = requireNonNull(thinking, "thinking");
    this.content = new ContentMasker(masker, this.fields, thinking);
  }

  /** Masks nothing. */
  public static MaskingProfile none() {
    return NONE;
  }

  /** The profile names this was built from. */
  public List<String> names() {
    return names;
  }

  public Masker masker() {
    return masker;
  }

  /** Field names, lower case: matched without regard to case. */
  public Set<String> fields() {
    return fields;
  }

  public ThinkingMode thinking() {
    return thinking;
  }

  /** Whether masking with this profile changes nothing, so a response can skip it. */
  public boolean isEmpty() {
    return masker.isEmpty() && fields.isEmpty() && thinking == ThinkingMode.LEAVE;
  }

  public JsonBodyMasker jsonBodyMasker() {
    return jsonBodyMasker(JsonBodyMasker.DEFAULT_MAX_BYTES);
  }

  public JsonBodyMasker jsonBodyMasker(int maxBytes) {
    return new JsonBodyMasker(content, maxBytes);
  }

  /** A masker for one streamed response, with the default caps. */
  public SseMasker newSseMasker() {
    return newSseMasker(SseMasker.DEFAULT_MAX_EVENT_BYTES, SseMasker.DEFAULT_MAX_TOOL_INPUT);
  }

  /**
   * A masker for one streamed response.
   *
   * @param maxEventBytes cap on one event's raw bytes
   * @param maxToolInput cap on one tool-use block's input, in chars
   */
  public SseMasker newSseMasker(int maxEventBytes, int maxToolInput) {
    return new SseMasker(content, masker, thinking, maxEventBytes, maxToolInput);
  }

  @Override
  public String toString() {
    return "MaskingProfile" + names + masker.detectors() + " fields=" + fields + " " + thinking;
  }
}
