package dev.jitgw.core.config;

import java.time.Duration;

/**
 * Limits of the data-plane HTTP server.
 *
 * @param maxBodySize request bodies are buffered for inspection up to this size; larger: 413 {@code
 *     request_too_large}
 * @param maxHeaderSize all request header lines together; larger: 431
 * @param maxUriLength the request line; longer: 414
 * @param requestReadTimeout how long a connection may wait for the next request head, and then for
 *     that request's whole body; an idle keep-alive connection is closed, a body still arriving
 *     gets 408 {@code request_timeout}
 * @param workerThreads event-loop threads; 0 means one per CPU core
 */
public record HttpConfig(
    DataSize maxBodySize,
    DataSize maxHeaderSize,
    DataSize maxUriLength,
    Duration requestReadTimeout,
    Integer workerThreads) {

  public HttpConfig {
    maxBodySize = maxBodySize == null ? DataSize.ofMebibytes(32) : maxBodySize;
    maxHeaderSize = maxHeaderSize == null ? DataSize.ofKibibytes(32) : maxHeaderSize;
    maxUriLength = maxUriLength == null ? DataSize.ofKibibytes(8) : maxUriLength;
    requestReadTimeout =
        Durations.positive("request_read_timeout", requestReadTimeout, Duration.ofSeconds(60));
    workerThreads = workerThreads == null ? 0 : workerThreads;
    if (workerThreads < 0) {
      throw new IllegalArgumentException("worker_threads: " + workerThreads + " (expected: >= 0)");
    }
    if (maxBodySize.bytes() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "max_body_size: " + maxBodySize + " (expected: below 2GiB)");
    }
    checkAtLeast("max_header_size", maxHeaderSize, 1024);
    checkAtLeast("max_uri_length", maxUriLength, 256);
  }

  public static HttpConfig defaults() {
    return new HttpConfig(null, null, null, null, null);
  }

  public HttpConfig withMaxBodySize(DataSize size) {
    return new HttpConfig(size, maxHeaderSize, maxUriLength, requestReadTimeout, workerThreads);
  }

  private static void checkAtLeast(String name, DataSize size, long min) {
    if (size.bytes() < min || size.bytes() > 1024 * 1024) {
      throw new IllegalArgumentException(
          name + ": " + size + " (expected: " + min + " bytes to 1MiB)");
    }
  }
}
