package dev.jitgw.core.exchange;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.jitgw.core.error.ErrorCode;
import dev.jitgw.core.error.GatewayException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses the request summary in one pass with Jackson's streaming parser: only the fields policy
 * reads are materialized, everything else is skipped. A body that is not JSON where JSON is
 * required is {@code invalid_json} (400), and is never forwarded. Duplicate keys, nesting deeper
 * than 256 and numbers longer than 100 digits are refused as well: two hops must never read one
 * body two ways.
 */
public final class RequestSummaryParser {
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(256)
                  .maxNumberLength(100)
                  .maxStringLength(64 * 1024 * 1024)
                  .build())
          .build();

  /** Text kept for policy ({@code request.text}); the rest is counted but not copied. */
  private static final int MAX_TEXT_CHARS = 1024 * 1024;

  private static final Map<String, String> REMOVED_HEADERS =
      Map.of("authorization", "", "x-api-key", "", "cookie", "", "proxy-authorization", "");

  private final PriceTable prices;

  public RequestSummaryParser(PriceTable prices) {
    this.prices = prices;
  }

  /**
   * @param headers request headers (any case); credentials are left out of the summary
   * @param body the buffered body
   * @param size its length in bytes
   */
  public RequestSummary parse(
      String method,
      String uri,
      Iterable<Map.Entry<String, String>> headers,
      InputStream body,
      long size) {
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    Map<String, String> headerMap = new TreeMap<>();
    String contentType = "";
    for (Map.Entry<String, String> header : headers) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (name.equals("content-type")) {
        contentType = header.getValue().toLowerCase(Locale.ROOT);
      }
      if (!REMOVED_HEADERS.containsKey(name)) {
        headerMap.merge(name, header.getValue(), (a, b) -> a + ", " + b);
      }
    }
    Fields fields = new Fields();
    boolean jsonRequired =
        size > 0
            && (contentType.startsWith("application/json")
                || (method.equals("POST") && path.startsWith("/v1/messages")));
    if (jsonRequired) {
      try (JsonParser parser = JSON.createParser(body)) {
        readTop(parser, fields);
        if (parser.nextToken() != null) {
          throw new IOException("content after the JSON value");
        }
      } catch (IOException e) {
        throw new GatewayException(
            ErrorCode.INVALID_JSON,
            "The request body is not valid JSON ("
                + firstLine(e.getMessage())
                + "); it was not forwarded.");
      }
    }
    long estimatedInput = (size + 3) / 4;
    double cost = prices.worstCaseUsd(fields.model, estimatedInput, fields.maxTokens);
    return new RequestSummary(
        method,
        path,
        headerMap,
        fields.model,
        fields.maxTokens,
        fields.stream,
        fields.tools,
        fields.skills,
        fields.system.toString(),
        fields.text.toString(),
        size,
        estimatedInput,
        cost);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int newline = message.indexOf('\n');
    String line = newline < 0 ? message : message.substring(0, newline);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }

  private static final class Fields {
    String model = "";
    long maxTokens;
    boolean stream;
    final List<RequestSummary.Tool> tools = new ArrayList<>();
    final List<RequestSummary.Skill> skills = new ArrayList<>();
    final StringBuilder system = new StringBuilder();
    final StringBuilder text = new StringBuilder();

    void addText(StringBuilder target, String value) {
      if (target.length() > 0 && target.length() < MAX_TEXT_CHARS) {
        target.append('\n');
      }
      int room = MAX_TEXT_CHARS - target.length();
      if (room > 0) {
        target.append(value, 0, Math.min(room, value.length()));
      }
    }
  }

  private static void readTop(JsonParser parser, Fields fields) throws IOException {
    if (parser.nextToken() != JsonToken.START_OBJECT) {
      throw new IOException("expected a JSON object");
    }
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String field = parser.currentName();
      JsonToken value = parser.nextToken();
      switch (field) {
        case "model" -> fields.model = value == JsonToken.VALUE_STRING ? parser.getText() : "";
        case "max_tokens" ->
            fields.maxTokens = value == JsonToken.VALUE_NUMBER_INT ? parser.getLongValue() : 0;
        case "stream" -> fields.stream = value == JsonToken.VALUE_TRUE;
        case "tools" -> readTools(parser, value, fields);
        case "container" -> readContainer(parser, value, fields);
        case "system" -> readText(parser, value, fields, true);
        case "messages" -> readMessages(parser, value, fields);
        default -> skip(parser, value);
      }
    }
  }

  private static void skip(JsonParser parser, JsonToken value) throws IOException {
    if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
      // Consume token by token (not skipChildren) so duplicate keys and depth are checked.
      int depth = 1;
      while (depth > 0) {
        JsonToken token = parser.nextToken();
        if (token == null) {
          throw new IOException("truncated JSON");
        }
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
          depth++;
        } else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
          depth--;
        }
      }
    }
  }

  private static void readTools(JsonParser parser, JsonToken value, Fields fields)
      throws IOException {
    if (value != JsonToken.START_ARRAY) {
      skip(parser, value);
      return;
    }
    JsonToken item;
    while ((item = parser.nextToken()) != JsonToken.END_ARRAY) {
      if (item != JsonToken.START_OBJECT) {
        skip(parser, item);
        continue;
      }
      String name = "";
      String type = "custom";
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken v = parser.nextToken();
        if (field.equals("name") && v == JsonToken.VALUE_STRING) {
          name = parser.getText();
        } else if (field.equals("type") && v == JsonToken.VALUE_STRING) {
          type = parser.getText();
        } else {
          skip(parser, v);
        }
      }
      fields.tools.add(new RequestSummary.Tool(name, type));
    }
  }

  private static void readContainer(JsonParser parser, JsonToken value, Fields fields)
      throws IOException {
    if (value != JsonToken.START_OBJECT) {
      skip(parser, value);
      return;
    }
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String field = parser.currentName();
      JsonToken v = parser.nextToken();
      if (!field.equals("skills") || v != JsonToken.START_ARRAY) {
        skip(parser, v);
        continue;
      }
      JsonToken item;
      while ((item = parser.nextToken()) != JsonToken.END_ARRAY) {
        if (item != JsonToken.START_OBJECT) {
          skip(parser, item);
          continue;
        }
        String id = "";
        String type = "";
        String version = "";
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          JsonToken sv = parser.nextToken();
          if (sv.isScalarValue() && sv != JsonToken.VALUE_NULL) {
            switch (name) {
              case "skill_id" -> id = parser.getText();
              case "type" -> type = parser.getText();
              case "version" -> version = parser.getText();
              default -> {}
            }
          } else {
            skip(parser, sv);
          }
        }
        fields.skills.add(new RequestSummary.Skill(id, type, version));
      }
    }
  }

  private static void readMessages(JsonParser parser, JsonToken value, Fields fields)
      throws IOException {
    if (value != JsonToken.START_ARRAY) {
      skip(parser, value);
      return;
    }
    JsonToken item;
    while ((item = parser.nextToken()) != JsonToken.END_ARRAY) {
      if (item != JsonToken.START_OBJECT) {
        skip(parser, item);
        continue;
      }
      // Role may come after content; collect the message's text, keep it if the role is user.
      Fields message = new Fields();
      String role = "";
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken v = parser.nextToken();
        if (field.equals("role") && v == JsonToken.VALUE_STRING) {
          role = parser.getText();
        } else if (field.equals("content")) {
          readText(parser, v, message, false);
        } else {
          skip(parser, v);
        }
      }
      if (role.equals("user") && message.text.length() > 0) {
        fields.addText(fields.text, message.text.toString());
      }
    }
  }

  /** A string, or an array of content blocks whose {@code text} fields are collected. */
  private static void readText(JsonParser parser, JsonToken value, Fields fields, boolean system)
      throws IOException {
    if (value == JsonToken.VALUE_STRING) {
      if (system) {
        fields.addText(fields.system, parser.getText());
      }
      fields.addText(fields.text, parser.getText());
      return;
    }
    if (value != JsonToken.START_ARRAY) {
      skip(parser, value);
      return;
    }
    JsonToken item;
    while ((item = parser.nextToken()) != JsonToken.END_ARRAY) {
      if (item != JsonToken.START_OBJECT) {
        skip(parser, item);
        continue;
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken v = parser.nextToken();
        if (field.equals("text") && v == JsonToken.VALUE_STRING) {
          if (system) {
            fields.addText(fields.system, parser.getText());
          }
          fields.addText(fields.text, parser.getText());
        } else {
          skip(parser, v);
        }
      }
    }
  }
}
