public class Sieve {
  // Marks the composites below sieve.length; returns how many primes.
  static int mark(int[] sieve) {
    java.util.Arrays.fill(sieve, 0);
    int primes = 0;
    for (int i = 2; i < sieve.length; i++) {
      if (sieve[i] != 0) continue;
      primes++;
      for (int j = i + i; j < sieve.length; j += i) sieve[j] = 1;  // line-mark-loop
    }
    return primes;
  }
}
