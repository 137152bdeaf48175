// The JVM plugin's integration workload: Main.loop calls Sieve.mark and
// Hasher.mix (run with -XX:CompileCommand=dontinline on both), keeping the
// CPU time spent in them at 65:35 whatever the JIT does: each call's thread
// CPU time is measured around it (the truth), and the next call goes to
// whichever method is behind its share. Prints "ready", runs for the thread
// CPU seconds given (or until SIGTERM), then prints the truth:
//   mark_ns=... mix_ns=... process_ns=... calls=...
// process_ns is the whole process' CPU time (JIT compiler and GC threads
// too), read at the end of main.
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

public class Main {
  static volatile long sink;
  static volatile boolean stop;
  static long markNs;
  static long mixNs;
  static long calls;

  public static void main(String[] args) throws Exception {
    double seconds = Double.parseDouble(args[0]);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop = true;
      report();
    }));
    System.out.println("ready");
    System.out.flush();
    loop(threads, (long) (seconds * 1e9));
    report();
    System.exit(0);
  }

  static synchronized void report() {
    if (calls < 0) return;  // printed already
    long processNs = ((com.sun.management.OperatingSystemMXBean)
                          ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    System.out.println("mark_ns=" + markNs + " mix_ns=" + mixNs + " process_ns=" + processNs
                       + " calls=" + calls);
    System.out.flush();
    calls = -1;
  }

  static void loop(ThreadMXBean threads, long budgetNs) {
    int[] sieve = new int[200000];
    long[] data = new long[65536];
    for (int i = 0; i < data.length; i++) data[i] = i * 0x9E3779B97F4A7C15L;
    long end = threads.getCurrentThreadCpuTime() + budgetNs;
    while (!stop) {
      long t0 = threads.getCurrentThreadCpuTime();
      if (t0 >= end) break;
      if (markNs * 35 <= mixNs * 65) {
        sink += Sieve.mark(sieve);
        markNs += threads.getCurrentThreadCpuTime() - t0;
      } else {
        sink += Hasher.mix(data);
        mixNs += threads.getCurrentThreadCpuTime() - t0;
      }
      calls++;
    }
  }
}
