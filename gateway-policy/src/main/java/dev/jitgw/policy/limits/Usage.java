package dev.jitgw.policy.limits;

/**
 * The tokens an upstream response reports in its {@code usage}.
 *
 * @param inputTokens uncached input tokens ({@code input_tokens})
 * @param outputTokens output tokens ({@code output_tokens})
 * @param cacheCreationInputTokens input tokens written to the prompt cache
 * @param cacheReadInputTokens input tokens read from the prompt cache
 */
public record Usage(
    long inputTokens, long outputTokens, long cacheCreationInputTokens, long cacheReadInputTokens) {

  /** Nothing used: what a request that never reached the upstream settles to. */
  public static final Usage ZERO = new Usage(0, 0, 0, 0);

  public Usage {
    check("inputTokens", inputTokens);
    check("outputTokens", outputTokens);
    check("cacheCreationInputTokens", cacheCreationInputTokens);
    check("cacheReadInputTokens", cacheReadInputTokens);
  }

  /**
   * Every token the request consumed: what the token limits count. Cached input counts too, as the
   * estimate a reservation makes covers the whole prompt, cached or not.
   */
  public long totalTokens() {
    long total = 0;
    for (long part :
        new long[] {inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens}) {
      total = total > Long.MAX_VALUE - part ? Long.MAX_VALUE : total + part;
    }
    return total;
  }

  private static void check(String name, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
    }
  }
}
