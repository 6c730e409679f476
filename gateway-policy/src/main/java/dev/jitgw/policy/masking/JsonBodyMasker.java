package dev.jitgw.policy.masking;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Masks a whole JSON response body, such as a non-streamed Messages API response: text blocks,
 * tool-use input, server tool results, {@code fields} by name, thinking blocks by the profile's
 * {@link ThinkingMode} (see {@link ContentMasker} for exactly which strings). A body with nothing
 * to mask is returned as it came, byte for byte; a masked one is re-serialized compactly, numbers
 * as written.
 *
 * <p>Immutable and thread-safe.
 */
public final class JsonBodyMasker {
  /** Default cap on a body this masker parses. */
  public static final int DEFAULT_MAX_BYTES = 32 << 20;

  private final ContentMasker content;
  private final int maxBytes;

  JsonBodyMasker(ContentMasker content, int maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
    }
    this.content = requireNonNull(content, "content");
    this.maxBytes = maxBytes;
  }

  /** The masked body and what was masked. */
  public record Result(byte[] body, Map<String, Long> counts) {
    public Result {
      requireNonNull(body, "body");
      counts = Collections.unmodifiableSortedMap(new TreeMap<>(counts));
    }

    public boolean changed() {
      return !counts.isEmpty();
    }
  }

  public Result mask(byte[] body) throws MaskingException {
    return mask(body, 0, body.length);
  }

  /**
   * Masks {@code body[offset, offset + length)}.
   *
   * @throws MaskingException when the body is over the cap or not JSON: the caller must not forward
   *     it
   */
  public Result mask(byte[] body, int offset, int length) throws MaskingException {
    Objects.checkFromIndexSize(offset, length, body.length);
    if (length > maxBytes) {
      throw new MaskingException(
          "response body of " + length + " bytes is over the masking cap of " + maxBytes);
    }
    JsonNode tree;
    try {
      tree = Json.MAPPER.readTree(body, offset, length);
    } catch (JsonProcessingException e) {
      throw new MaskingException("response body is not valid JSON" + Json.where(e));
    } catch (IOException e) {
      throw new MaskingException("response body could not be read", e);
    }
    if (tree == null || tree.isMissingNode()) {
      throw new MaskingException("response body is empty (expected JSON)");
    }
    Tally tally = new Tally();
    if (!content.maskBody(tree, tally)) {
      byte[] same =
          offset == 0 && length == body.length
              ? body
              : Arrays.copyOfRange(body, offset, offset + length);
      return new Result(same, Map.of());
    }
    try {
      return new Result(Json.MAPPER.writeValueAsBytes(tree), tally.snapshot());
    } catch (JsonProcessingException e) {
      throw new MaskingException("masked body could not be written", e);
    }
  }
}
