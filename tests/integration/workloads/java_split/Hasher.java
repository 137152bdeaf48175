public class Hasher {
  // Mixes every word of data into one hash.
  static long mix(long[] data) {
    long h = 0xcbf29ce484222325L;
    for (int round = 0; round < 8; round++) {
      for (long word : data) {
        h ^= word;
        h *= 0x100000001b3L;
        h ^= h >>> 29;
      }
    }
    return h;
  }
}
