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
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          "'" + value + "' is not host:port (expected e.g. 0.0.0.0:8080 or [::1]:8080)");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty()) {
      host = "0.0.0.0";
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + value + "' has no numeric port (expected e.g. 0.0.0.0:8080)", e);
    }
    return new HostPort(host, port);
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
