package dev.kmsengine.benchmarks.barbican;

/** The fewest and most Keystone and Barbican requests the emulator saw in any one benchmark round. */
final class RequestTally {
  private long rounds;
  private final long[] min = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE};
  private final long[] max = new long[3];

  synchronized void add(long tokens, long metadata, long payloads) {
    rounds++;
    long[] seen = {tokens, metadata, payloads};
    for (int i = 0; i < seen.length; i++) {
      min[i] = Math.min(min[i], seen[i]);
      max[i] = Math.max(max[i], seen[i]);
    }
  }

  synchronized long rounds() {
    return rounds;
  }

  /** {@code [fewest, most]} token requests in a round. */
  synchronized long[] tokens() {
    return new long[] {min[0], max[0]};
  }

  /** {@code [fewest, most]} metadata requests in a round. */
  synchronized long[] metadata() {
    return new long[] {min[1], max[1]};
  }

  /** {@code [fewest, most]} payload requests in a round. */
  synchronized long[] payloads() {
    return new long[] {min[2], max[2]};
  }

  @Override
  public synchronized String toString() {
    if (rounds == 0) {
      return "requests per round: no rounds";
    }
    return "requests per round over " + rounds + " rounds: token " + range(0) + ", metadata " + range(1)
        + ", payload " + range(2);
  }

  private String range(int i) {
    return min[i] == max[i] ? Long.toString(min[i]) : min[i] + "-" + max[i];
  }
}
