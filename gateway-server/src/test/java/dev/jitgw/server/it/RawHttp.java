package dev.jitgw.server.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Plain-socket HTTP for tests that need bytes no well-behaved client would send. */
public final class RawHttp {
  private RawHttp() {}

  /** Sends {@code request} as-is and returns everything read until the server closes. */
  public static String sendAndReadUntilClose(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(15_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return readUntilClose(socket.getInputStream());
    }
  }

  public static String readUntilClose(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      int n;
      while ((n = in.read(buffer)) != -1) {
        out.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "server neither answered completely nor closed; got: "
              + out.toString(StandardCharsets.ISO_8859_1),
          e);
    } catch (java.net.SocketException e) {
      // Reset after the response: the response read so far is what counts.
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** Reads one response with a content-length body (no chunking), leaving the socket open. */
  public static String readOneResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b == -1) {
        throw new IOException("closed after: " + head);
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    return head + new String(body, StandardCharsets.UTF_8);
  }

  /** Sends {@code POST /v1/messages} with a JSON {@code body} and a bearer token. */
  public static void sendMessages(Socket socket, String body, String token) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    java.io.OutputStream out = socket.getOutputStream();
    out.write(
        ("POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + token
                + "\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
                + "content-length: "
                + bytes.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    out.write(bytes);
    out.flush();
  }

  /** Reads (as ISO-8859-1) until {@code marker} has been read, or the stream ends. */
  public static String readUntil(InputStream in, String marker) throws IOException {
    StringBuilder read = new StringBuilder();
    while (read.indexOf(marker) < 0) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      read.append((char) b);
    }
    return read.toString();
  }

  /** Sends a streaming Messages request for {@code model} on an open socket. */
  public static void sendStreamingRequest(Socket socket, String model, String token)
      throws IOException {
    String body = "{\"model\":\"" + model + "\",\"max_tokens\":5,\"stream\":true}";
    socket
        .getOutputStream()
        .write(
            ("POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer "
                    + token
                    + "\r\nContent-Length: "
                    + body.length()
                    + "\r\n\r\n"
                    + body)
                .getBytes(StandardCharsets.US_ASCII));
  }

  public static int status(String response) {
    return Integer.parseInt(response.substring(9, 12));
  }
}
