import java.io.File;
import java.lang.reflect.*;
import java.net.*;
import java.util.*;
/**
 * Runs {@code MaskingBenchmark.<method>} of several builds in one JVM, each in its own class
 * loader, in turn rep by rep, so that every build sees the same noise; prints each build's best,
 * p10, p25 and median rep, and the median of the per-rep ratios to the first build; then the same
 * for the thread's CPU time per rep (what the rep cost one core, without the time other processes
 * on the machine had it). Run through {@code bench/paired.sh}.
 */
public class Paired {
  public static void main(String[] a) throws Exception {
    // args: method deltaChars profile reps classesDirA classesDirB ...
    String method = a[0]; int delta = Integer.parseInt(a[1]); String profile = a[2]; int reps = Integer.parseInt(a[3]);
    String[] deps = System.getProperty("deps").split(":");
    String tests = System.getProperty("tests");
    int n = a.length - 4;
    Object[] obj = new Object[n]; Method[] m = new Method[n];
    for (int v = 0; v < n; v++) {
      List<URL> urls = new ArrayList<>();
      urls.add(new File(a[4 + v]).toURI().toURL());
      urls.add(new File(tests).toURI().toURL());
      for (String d : deps) urls.add(new File(d).toURI().toURL());
      ClassLoader l = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
      Class<?> c = l.loadClass("dev.jitgw.policy.masking.MaskingBenchmark");
      obj[v] = c.getDeclaredConstructor().newInstance();
      c.getField("profile").set(obj[v], profile);
      c.getField("deltaChars").setInt(obj[v], delta);
      c.getMethod("setUp").invoke(obj[v]);
      m[v] = c.getMethod(method);
    }
    long[][] t = new long[n][reps];
    long[][] cpu = new long[n][reps];
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    for (int r = 0; r < reps; r++) {
      for (int k = 0; k < n; k++) {
        int v = (r + k) % n;
        long c = threads.getCurrentThreadCpuTime();
        long s = System.nanoTime(); m[v].invoke(obj[v]); t[v][r] = System.nanoTime() - s;
        cpu[v][r] = threads.getCurrentThreadCpuTime() - c;
      }
    }
    report("wall", t, a, method, delta, profile, reps);
    report("cpu", cpu, a, method, delta, profile, reps);
  }

  static void report(String what, long[][] t, String[] a, String method, int delta, String profile, int reps) {
    int n = t.length;
    int skip = reps / 3;
    double[] ratio = new double[reps - skip];
    for (int v = 0; v < n; v++) {
      long[] x = Arrays.copyOfRange(t[v], skip, reps); 
      if (v > 0) { for (int r = skip; r < reps; r++) ratio[r - skip] = (double) t[v][r] / t[0][r]; Arrays.sort(ratio); }
      Arrays.sort(x);
      System.out.printf("%s %s %s %d %s: min %.2f p10 %.2f p25 %.2f median %.2f ms%s%n", what, a[4 + v].replaceAll("/gateway-policy/target/classes/?$", "").replaceAll(".*/", ""), method, delta, profile,
          x[0] / 1e6, x[x.length / 10] / 1e6, x[x.length / 4] / 1e6, x[x.length / 2] / 1e6,
          v > 0 ? String.format("; paired ratio to first: median %.3f (p25 %.3f, p75 %.3f)", ratio[ratio.length / 2], ratio[ratio.length / 4], ratio[3 * ratio.length / 4]) : "");
    }
  }
}
