// Loaded, run and unloaded by Unload, round after round, alternating with
// Omega: the same code under another name, so the VM's metadata and compiled
// code for one may land where the other's was. run() is compiled with spin()
// inlined into it; mix() is never inlined (-XX:CompileCommand=dontinline).
public class Alpha {
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
