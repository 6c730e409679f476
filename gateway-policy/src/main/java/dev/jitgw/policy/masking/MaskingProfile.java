package dev.jitgw.policy.masking;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one response is masked with: the union of the masking profiles a policy decision names
 * ({@code allow.mask}): detectors, {@code fields}, what happens to thinking ({@link
 * ThinkingMode#DROP} when any of the profiles says so) and what values are replaced with (the most
 * protective {@link ReplacementMode} of the profiles). Built by {@link MaskingPolicy#profile}.
 *
 * <p>A {@link ReplacementMode#PSEUDONYM} profile needs the caller's key to make pseudonyms: {@link
 * #forCaller} gives the profile for one response; without it, values are masked.
 *
 * <p>Immutable and thread-safe, except a profile from {@link #forCaller}, which is for one
 * response; the maskers it creates for a response are not thread-safe.
 */
public final class MaskingProfile {
  private static final MaskingProfile NONE =
      new MaskingProfile(
          List.of(), Masker.none(), Set.of(), ThinkingMode.LEAVE, ReplacementMode.MASK);

  private final List<String> names;
  private final Masker masker;
  private final Set<String> fields;
  private final ThinkingMode thinking;
  private final ReplacementMode replacement;
  private final ContentMasker content;

  MaskingProfile(List<String> names, Masker masker, Set<String> fields, ThinkingMode thinking) {
    this(names, masker, fields, thinking, ReplacementMode.MASK);
  }

  MaskingProfile(
      List<String> names,
      Masker masker,
      Set<String> fields,
      ThinkingMode thinking,
      ReplacementMode replacement) {
    this.names = List.copyOf(names);
    this.masker = requireNonNull(masker, "masker");
    TreeSet<String> lower = new TreeSet<>();
    for (String field : fields) {
      lower.add(field.toLowerCase(Locale.ROOT));
    }
    this.fields = Set.copyOf(lower);
    this.thinking = requireNonNull(thinking, "thinking");
    this.replacement = requireNonNull(replacement, "replacement");
    // Pseudonyms need a caller's key (forCaller); until then, values are masked.
    Replacer replacer = replacement == ReplacementMode.PARTIAL ? Replacer.PARTIAL : null;
    this.content = new ContentMasker(masker, this.fields, thinking, replacer);
  }

  /** The same profile, replacing values with {@code replacer}. */
  private MaskingProfile(MaskingProfile profile, Replacer replacer) {
    this.names = profile.names;
    this.masker = profile.masker;
    this.fields = profile.fields;
    this.thinking = profile.thinking;
    this.replacement = profile.replacement;
    this.content = new ContentMasker(masker, fields, thinking, replacer);
  }

  /**
   * This profile for one caller's response: with {@link ReplacementMode#PSEUDONYM}, values are
   * replaced by pseudonyms keyed with {@code callerKey} ({@link PseudonymKey#callerKey}); any other
   * mode returns this profile. The result is for one response (not thread-safe).
   */
  public MaskingProfile forCaller(byte[] callerKey) {
    requireNonNull(callerKey, "callerKey");
    if (replacement != ReplacementMode.PSEUDONYM) {
      return this;
    }
    return new MaskingProfile(this, Replacer.pseudonym(callerKey));
  }

  /**
   * {@link #forCaller(byte[])} with the key of the caller {@code issuer}, {@code subject}, derived
   * only when this profile makes pseudonyms.
   */
  public MaskingProfile forCaller(PseudonymKey key, String issuer, String subject) {
    requireNonNull(key, "key");
    if (replacement != ReplacementMode.PSEUDONYM) {
      return this;
    }
    return forCaller(key.callerKey(issuer, subject));
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

  /** What values are replaced with. */
  public ReplacementMode replacement() {
    return replacement;
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
    return "MaskingProfile"
        + names
        + masker.detectors()
        + " fields="
        + fields
        + " "
        + thinking
        + " "
        + replacement;
  }
}
