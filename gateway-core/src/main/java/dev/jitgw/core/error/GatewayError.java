package dev.jitgw.core.error;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error produced by the gateway itself, rendered in the Anthropic error shape so that the
 * official SDKs raise their usual typed exceptions:
 *
 * <pre>{"type":"error","error":{"type":"...","message":"...","details":{"error_code":"..."}},
 * "request_id":"&lt;exchange id&gt;"}</pre>
 *
 * <p>{@code message} says what happened and what to do; it never contains a credential.
 */
public record GatewayError(ErrorCode code, String message, Map<String, Object> details) {

  private static final JsonFactory JSON = new JsonFactory();

  public GatewayError {
    requireNonNull(code, "code");
    requireNonNull(message, "message");
    details = details == null ? Map.of() : Map.copyOf(details);
  }

  public static GatewayError of(ErrorCode code, String message) {
    return new GatewayError(code, message, Map.of());
  }

  /** Returns a copy with one more entry in {@code details}. */
  public GatewayError withDetail(String key, Object value) {
    Map<String, Object> more = new LinkedHashMap<>(details);
    more.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
    return new GatewayError(code, message, more);
  }

  public int status() {
    return code.status();
  }

  /** The JSON body of an error response. */
  public byte[] toJson(String exchangeId) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("type", "error");
      json.writeObjectFieldStart("error");
      json.writeStringField("type", code.type());
      json.writeStringField("message", message);
      json.writeObjectFieldStart("details");
      json.writeStringField("error_code", code.code());
      for (Map.Entry<String, Object> detail : details.entrySet()) {
        writeValue(json, detail.getKey(), detail.getValue());
      }
      json.writeEndObject();
      json.writeEndObject();
      if (exchangeId != null) {
        json.writeStringField("request_id", exchangeId);
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot render error " + code, e);
    }
    return out.toByteArray();
  }

  /**
   * The same error as a server-sent event, for failures after a streaming response has started:
   * {@code event: error} with the error JSON as {@code data} (contract section 2).
   */
  public byte[] toSseEvent(String exchangeId) {
    byte[] json = toJson(exchangeId);
    byte[] head = "event: error\ndata: ".getBytes(StandardCharsets.US_ASCII);
    byte[] event = new byte[head.length + json.length + 2];
    System.arraycopy(head, 0, event, 0, head.length);
    System.arraycopy(json, 0, event, head.length, json.length);
    event[event.length - 2] = '\n';
    event[event.length - 1] = '\n';
    return event;
  }

  private static void writeValue(JsonGenerator json, String key, Object value) throws IOException {
    if (value instanceof Number number) {
      if (number instanceof Double || number instanceof Float) {
        json.writeNumberField(key, number.doubleValue());
      } else {
        json.writeNumberField(key, number.longValue());
      }
    } else if (value instanceof Boolean bool) {
      json.writeBooleanField(key, bool);
    } else {
      json.writeStringField(key, String.valueOf(value));
    }
  }
}
