package dev.jitgw.policy.masking;

import java.util.Map;

/**
 * Masks one text that arrives in pieces (the text deltas of one content block). {@link #push}
 * returns at once everything that is decided; what could still be the start of a value is held
 * back, and only for as long as a value could be in progress: a word that might be the local part
 * of an email address until the next character, a run of digits until it ends, a PEM block until
 * its END line. {@link #finish} returns the rest. Concatenated, the outputs equal {@link
 * Masker#mask} of the concatenated input, and no part of a value is ever returned unmasked.
 *
 * <p>Not thread-safe: one per content block.
 */
public final class TextStream {
  private final Masker masker;
  private final Replacer replacer; // null: [MASKED:<detector>]
  private final long[] counts;
  private final Masker.Matches matches = new Masker.Matches();
  private final CharSink out = new CharSink();

  /** Emitted context (up to {@link Detector#LOOKBEHIND} chars), then the held text. */
  private final ScanText buffer = new ScanText();

  private int from;
  private boolean finished;
  private boolean unchanged;
  private int verbatimTail;

  /** Where {@code buffer[0]} is in the whole text. */
  private long base;

  TextStream(Masker masker, Replacer replacer) {
    this.masker = masker;
    this.replacer = replacer;
    this.counts = new long[masker.size()];
  }

  /**
   * Adds the next piece of text.
   *
   * @return the text decided by it, masked; possibly empty
   */
  public String push(CharSequence piece) {
    if (finished) {
      throw new IllegalStateException("push after finish");
    }
    int heldBefore = buffer.length - from;
    buffer.append(piece);
    return round(heldBefore, piece.length());
  }

  /**
   * {@link #push(CharSequence)} for chars in an array, without making a string: the decided text is
   * in {@link #decidedText()} (unless {@link #unchanged()}, when it is the piece itself).
   */
  void pushChars(char[] piece, int offset, int count) {
    if (finished) {
      throw new IllegalStateException("push after finish");
    }
    int heldBefore = buffer.length - from;
    buffer.append(piece, offset, count);
    decide(heldBefore, count);
  }

  /**
   * Decodes the JSON string body at {@code data[p]} as the next piece, indexing it for the
   * detectors in the same pass; {@link #pushDecoded} then pushes it, or {@link #dropDecoded}
   * forgets it.
   *
   * @return the index after the string's closing quote, or -1 if it is not a valid JSON string
   *     (nothing was added)
   */
  int decodeJson(byte[] data, int p, int to) {
    if (finished) {
      throw new IllegalStateException("push after finish");
    }
    return buffer.decodeJson(data, p, to, masker.classes());
  }

  /** Whether the piece of the last {@link #decodeJson} came as plain ASCII without escapes. */
  boolean decodedAscii() {
    return buffer.decodedAscii;
  }

  /** Pushes the piece decoded by the last {@link #decodeJson}, as {@link #pushChars} does. */
  void pushDecoded() {
    int heldBefore = buffer.length - from;
    int count = buffer.decoded;
    buffer.commitDecoded();
    decide(heldBefore, count);
  }

  /** Forgets the piece decoded by the last {@link #decodeJson}. */
  void dropDecoded() {
    buffer.dropDecoded();
  }

  /**
   * How many chars at the end of {@link #decidedText()} are the first chars of the last piece as it
   * came: 0 when none are, or when the push masked something.
   */
  int verbatimTail() {
    return verbatimTail;
  }

  /** What the last push decided, masked. */
  CharSink decidedText() {
    return out;
  }

  private String round(int heldBefore, int count) {
    decide(heldBefore, count);
    return out.toString();
  }

  private void decide(int heldBefore, int count) {
    out.clear();
    if (count == 0) {
      unchanged = true;
      verbatimTail = 0;
      return;
    }
    if (masker.isEmpty()) {
      unchanged = heldBefore == 0;
      verbatimTail = count;
      out.append(buffer.chars, from, buffer.length - from);
      base += buffer.length;
      buffer.length = 0;
      buffer.resetIndex();
      from = 0;
      return;
    }
    int end = buffer.length;
    int hold = masker.round(buffer, from, false, out, counts, matches, replacer);
    unchanged = heldBefore == 0 && hold == end && matches.replaced == 0;
    int pieceStart = end - count;
    verbatimTail = matches.replaced == 0 && hold > pieceStart ? hold - pieceStart : 0;
    from = hold;
    compact();
  }

  /** Keeps the context a detector may read, dropping the text before it in batches. */
  void compact() {
    int drop = from - Detector.LOOKBEHIND;
    if (drop >= 3 * Detector.LOOKBEHIND) {
      buffer.dropPrefix(drop);
      from -= drop;
      base += drop;
    }
  }

  /** Whether the last {@link #push} returned exactly the piece it was given. */
  boolean unchanged() {
    return unchanged;
  }

  /** Ends the text: returns what was held back, masked. */
  public String finish() {
    if (finished) {
      return "";
    }
    finished = true;
    if (from == buffer.length) {
      return "";
    }
    out.clear();
    masker.round(buffer, from, true, out, counts, matches, replacer);
    base += buffer.length;
    buffer.length = 0;
    buffer.resetIndex();
    from = 0;
    return out.toString();
  }

  /** How many chars are held back now. */
  public int held() {
    return buffer.length - from;
  }

  /** Values masked so far, by detector. */
  public Map<String, Long> counts() {
    return masker.counts(counts);
  }
}
