// Alpha under another name of the same length (see Alpha.java).
public class Omega {
  static long sink;

  public static void run(long cpuNanos) {
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    long end = threads.getCurrentThreadCpuTime() + cpuNanos;
    while (threads.getCurrentThreadCpuTime() < end) {
      for (int i = 0; i < 1000; i++) sink += spin(i);
    }
  }

  static long spin(int seed) {
    long h = seed;
    for (int i = 0; i < 8; i++) h = mix(h, i);
    return h;
  }

  static long mix(long h, int i) {
    for (int k = 0; k < 16; k++) h = h * 31 + (k ^ (h >>> 7)) + i;
    return h;
  }
}
