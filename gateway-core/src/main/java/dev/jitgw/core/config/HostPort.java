package dev.jitgw.core.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetSocketAddress;

/** A listen address, {@code host:port}; {@code [::1]:8080} for IPv6, port 0 for any free port. */
public record HostPort(String host, int port) {

  public HostPort {
    requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host: empty (expected a name or address)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
  }

  @JsonCreator
  public static HostPort parse(String value) {
    requireNonNull(value, "value");
    String text = value.trim();
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
        throw new IllegalArgumentException(
            "'" + value + "' is not [address]:port (expected e.g. [::1]:8080)");
      }
      host = text.substring(1, close);
      port = text.substring(close + 2);
    } else {
      int colon = text.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(
            "'" + value + "' is not host:port (expected e.g. 0.0.0.0:8080 or [::1]:8080)");
      }
      host = text.substring(0, colon);
      port = text.substring(colon + 1);
      if (host.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "'" + value + "': an IPv6 address needs brackets (expected e.g. [::1]:8080)");
      }
    }
    if (host.isEmpty()) {
      host = "0.0.0.0";
    }
    int number;
    try {
      number = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + value + "' has no numeric port (expected e.g. 0.0.0.0:8080)", e);
    }
    return new HostPort(host, number);
  }

  public InetSocketAddress toSocketAddress() {
    return new InetSocketAddress(host, port);
  }

  @JsonValue
  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ':' + port;
  }
}
