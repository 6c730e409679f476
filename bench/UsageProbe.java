import java.io.File;
import java.lang.reflect.*;
import java.net.*;
import java.util.*;
import io.netty.buffer.*;

/**
 * Times {@code UsageAccumulator} reading the side-by-side run's kind of stream (200 events in 8 KB
 * direct buffers, as Netty reads them) for several builds in one JVM, alternating rep by rep. By
 * hand, not by CI, from the repository root, after {@code mvn -o -q compile -pl gateway-policy} in
 * each build's checkout:
 *
 * <pre>
 * mvn -o -q -pl gateway-policy dependency:build-classpath -Dmdep.outputFile=/tmp/policycp.txt
 * java -Ddeps="$(cat /tmp/policycp.txt):gateway-core/target/classes" -cp "$(cat /tmp/policycp.txt)" \
 *   bench/UsageProbe.java BEFORE/gateway-policy/target/classes gateway-policy/target/classes
 * </pre>
 */
public class UsageProbe {
  public static void main(String[] a) throws Exception {
    String[] deps = System.getProperty("deps").split(":");
    int n = a.length;
    Method[] factory = new Method[n]; Method[] accept = new Method[n]; Method[] usage = new Method[n];
    StringBuilder sb = new StringBuilder();
    sb.append("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg\",\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n");
    for (int i = 0; i < 195; i++) sb.append("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"The gateway answered the caller, event " + i + ". \"}}\n\n");
    sb.append("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":15}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    byte[] bytes = sb.toString().getBytes("UTF-8");
    List<ByteBuf> chunks = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += 8192) { ByteBuf b = Unpooled.directBuffer(8192); b.writeBytes(bytes, i, Math.min(8192, bytes.length - i)); chunks.add(b); }
    Object[] loaders = new Object[n];
    for (int v = 0; v < n; v++) {
      List<URL> urls = new ArrayList<>(); urls.add(new File(a[v]).toURI().toURL());
      for (String d : deps) urls.add(new File(d).toURI().toURL());
      // Netty shared from the app loader so ByteBuf is the same class
      ClassLoader l = new URLClassLoader(urls.toArray(new URL[0]), UsageProbe.class.getClassLoader()) {
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
          if (name.startsWith("io.netty.")) return UsageProbe.class.getClassLoader().loadClass(name);
          synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) { try { c = findClass(name); } catch (ClassNotFoundException e) { c = super.loadClass(name, false); } }
            return c;
          }
        }
      };
      Class<?> c = l.loadClass("dev.jitgw.policy.limits.UsageAccumulator");
      factory[v] = c.getMethod("forContentType", String.class);
      accept[v] = c.getMethod("accept", ByteBuf.class);
      usage[v] = c.getMethod("usage");
    }
    int reps = 400, per = 200;
    long[][] t = new long[n][reps];
    for (int r = 0; r < reps; r++) for (int k = 0; k < n; k++) {
      int v = (r + k) % n;
      long s = System.nanoTime();
      for (int j = 0; j < per; j++) {
        Object acc = factory[v].invoke(null, "text/event-stream");
        for (ByteBuf b : chunks) accept[v].invoke(acc, b);
        if (((Optional<?>) usage[v].invoke(acc)).isEmpty()) throw new AssertionError();
      }
      t[v][r] = System.nanoTime() - s;
    }
    for (int v = 0; v < n; v++) {
      long[] x = Arrays.copyOfRange(t[v], reps / 3, reps); Arrays.sort(x);
      System.out.printf("%s: %d bytes/stream; min %.1f median %.1f us per stream (%.0f MB/s median)%n", a[v], bytes.length, x[0] / 1e3 / per, x[x.length / 2] / 1e3 / per, bytes.length * (double) per / (x[x.length / 2] / 1e3));
    }
  }
}
