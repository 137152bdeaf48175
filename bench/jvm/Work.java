// bench/jvm's workload: the integration test's Sieve.mark and Hasher.mix,
// one call of each per round, each round under `depth` frames of Work.down
// (run with -XX:CompileCommand=dontinline on down, mark and mix, so every
// level is a frame of its own: compiled, or interpreted under -Xint).
//   java Work fixed DEPTH ROUNDS   prints "ready", waits for a line on
//                                  stdin, runs ROUNDS rounds, prints
//                                  cpu=<process CPU s> wall=<s> thread=<s>
//   java Work forever DEPTH        prints "ready", runs until killed
import java.lang.management.ManagementFactory;

public class Work {
  static final int[] SIEVE = new int[200000];
  static final long[] DATA = new long[16384];
  static long sink;

  static long down(int depth) {
    if (depth == 0) return Sieve.mark(SIEVE) + Hasher.mix(DATA);
    return down(depth - 1) + 1;
  }

  public static void main(String[] args) throws Exception {
    boolean fixed = args[0].equals("fixed");
    int depth = Integer.parseInt(args[1]);
    long rounds = fixed ? Long.parseLong(args[2]) : Long.MAX_VALUE;
    for (int i = 0; i < DATA.length; i++) DATA[i] = i * 0x9E3779B97F4A7C15L;
    System.out.println("ready");
    System.out.flush();
    if (fixed) new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime(), wall0 = System.nanoTime();
    long thread0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    for (long r = 0; r < rounds; r++) sink += down(depth);
    long thread = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - thread0;
    System.out.printf("cpu=%.6f wall=%.6f thread=%.6f%n", (os.getProcessCpuTime() - cpu0) / 1e9,
                      (System.nanoTime() - wall0) / 1e9, thread / 1e9);
  }
}
