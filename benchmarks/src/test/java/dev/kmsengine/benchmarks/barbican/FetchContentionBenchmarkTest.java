package dev.kmsengine.benchmarks.barbican;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The contention benchmark's rounds do what its Javadoc claims: all 64 callers get the emulator's key, a cold
 * round costs exactly one token, one metadata and one payload request, and a warm round costs none.
 */
class FetchContentionBenchmarkTest {
  private static final int ROUNDS = 3;

  @Test
  void coldRounds_64Callers_oneTokenAndOnePayloadRequestPerRound() throws IOException, InterruptedException {
    FetchContentionBenchmark.Contention c = runRounds("cold");

    assertEquals(ROUNDS, c.tally().rounds());
    assertArrayEquals(new long[] {1, 1}, c.tally().tokens(), "token requests per cold round [fewest, most]");
    assertArrayEquals(new long[] {1, 1}, c.tally().metadata(), "metadata requests per cold round");
    assertArrayEquals(new long[] {1, 1}, c.tally().payloads(), "payload requests per cold round");
  }

  @Test
  void warmRounds_64Callers_noRequestLeavesTheProcess() throws IOException, InterruptedException {
    FetchContentionBenchmark.Contention c = runRounds("warm");

    assertEquals(ROUNDS, c.tally().rounds());
    assertArrayEquals(new long[] {0, 0}, c.tally().tokens());
    assertArrayEquals(new long[] {0, 0}, c.tally().metadata());
    assertArrayEquals(new long[] {0, 0}, c.tally().payloads());
  }

  private static FetchContentionBenchmark.Contention runRounds(String cache)
      throws IOException, InterruptedException {
    FetchContentionBenchmark.Contention c = new FetchContentionBenchmark.Contention();
    c.callers = 64;
    c.cache = cache;
    c.startEmulator();
    try {
      byte[] expected = c.openstack.secretPayload(c.keyId);
      for (int r = 0; r < ROUNDS; r++) {
        c.park();
        assertEquals(64, c.round());
        c.count();
        for (byte[] got : c.received) {
          assertArrayEquals(expected, got, "every caller holds the emulator's key in round " + r);
        }
        for (byte[] got : c.received) {
          Arrays.fill(got, (byte) 0);
        }
      }
      return c;
    } finally {
      c.close();
    }
  }
}
