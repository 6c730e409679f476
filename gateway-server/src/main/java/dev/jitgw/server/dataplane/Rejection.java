package dev.jitgw.server.dataplane;

import dev.jitgw.core.error.ErrorCode;

/**
 * A request the HTTP layer refused before any stage saw it (malformed framing, oversize head). It
 * travels the pipeline in order with the requests around it, so the answer goes out in order too;
 * the connection is closed after it, since the rest of the byte stream cannot be trusted.
 */
record Rejection(ErrorCode code, String message) {}
