package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The production nonce policy ({@link NonceSource#LEASED}): a 96-bit random start per lease, then a 96-bit
 * counter. Nonces are read back from the blobs' nonce field where a key is involved, so these tests see what is
 * actually stored.
 */
class NonceSourceTest {
  private static final KeyBinding BINDING = KeyBinding.vek(UUID.randomUUID(), UUID.randomUUID(), 1);
  private static final BigInteger CYCLE = BigInteger.ONE.shiftLeft(96);

  private static BigInteger nonce(byte[] b, int offset) {
    return new BigInteger(1, Arrays.copyOfRange(b, offset, offset + WrappedKeyFormat.NONCE_LENGTH));
  }

  private static BigInteger nonceOfBlob(byte[] blob) {
    return nonce(blob, WrappedKeyFormat.NONCE_OFFSET);
  }

  @Test
  void millionSingleUseLeases_everyNonceBitIsRandom_noFixedCounterStart() {
    int leases = 1_000_000;
    int[] ones = new int[96];
    Set<BigInteger> seen = new HashSet<>(2 * leases);
    int lowWordOne = 0;
    byte[] out = new byte[WrappedKeyFormat.NONCE_LENGTH];
    for (int i = 0; i < leases; i++) {
      new NonceLease().next(out, 0);
      seen.add(nonce(out, 0));
      for (int bit = 0; bit < 96; bit++) {
        ones[bit] += (out[bit >>> 3] >>> (7 - (bit & 7))) & 1;
      }
      if (ByteBuffer.wrap(out, 8, 4).getInt() == 1) {
        lowWordOne++;
      }
    }
    assertEquals(leases, seen.size(), "a million single-use leases, a million distinct nonces");
    // Each bit is one with probability 1/2: mean 500,000, standard deviation 500. Six deviations either way fail
    // a correct source with probability about 2e-9 per bit; a fixed bit (a counter start) fails for certain.
    for (int bit = 0; bit < 96; bit++) {
      assertTrue(Math.abs(ones[bit] - leases / 2) <= 3_000, "bit " + bit + " is one in " + ones[bit] + " of "
          + leases + " single-use leases: not uniformly random");
    }
    // The old policy started every lease's last 32 bits at 1; uniformly, 1 in 2^32 nonces ends that way.
    assertTrue(lowWordOne <= 2, lowWordOne + " of " + leases + " first nonces end in counter value 1");
  }

  @Test
  void collisionBound_2pow32SealsAnd10pow7Leases_isBelowSp80038dBound() {
    double seals = 0x1p32;
    double bound = NonceSource.collisionBound(seals, 1e7);
    // (10^7 - 1) * 2^32 / 2^96, the figure the security model states.
    assertEquals(5.421e-13, bound, 0.001e-13);
    assertTrue(bound <= 0x1p-32, "bound " + bound + " exceeds 2^-32");
    assertTrue(Math.log(bound) / Math.log(2) < -40.7);
    // However many leases: at most one per seal, so 2^32 seals stay under 2^-32 even as 2^32 single-use leases.
    assertTrue(NonceSource.collisionBound(seals, 0x1p40) <= 0x1p-32);
    assertTrue(NonceSource.collisionBound(seals, seals) <= 0x1p-32);
  }

  @Test
  void wrap_200kTimesAcrossFourThreadsUnderOneKey_eachThreadCountsFromItsOwnRandomStart() throws Exception {
    int threads = 4;
    int perThread = 50_000;
    try (KeyMaterial k = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey key = WrappingKey.of(k)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Callable<BigInteger[]>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          tasks.add(() -> {
            BigInteger[] seen = new BigInteger[perThread];
            for (int i = 0; i < perThread; i++) {
              seen[i] = nonceOfBlob(key.wrap(vek, BINDING));
            }
            return seen;
          });
        }
        Set<BigInteger> all = new HashSet<>();
        Set<BigInteger> starts = new HashSet<>();
        for (Future<BigInteger[]> f : pool.invokeAll(tasks)) {
          BigInteger[] seen = f.get();
          for (int i = 0; i < perThread; i++) {
            assertEquals(seen[0].add(BigInteger.valueOf(i)).mod(CYCLE), seen[i], "nonce " + i + " of a lease");
          }
          starts.add(seen[0]);
          all.addAll(Arrays.asList(seen));
        }
        assertEquals(threads, starts.size(), "each thread leased its own start");
        assertEquals(threads * perThread, all.size(), "every nonce under the key is distinct");
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void twoWrappingKeysOfTheSameKey_sameThread_startFromDifferentRandomNonces() throws GeneralSecurityException {
    try (KeyMaterial k = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey a = WrappingKey.of(k);
        WrappingKey b = WrappingKey.of(k)) {
      assertNotEquals(nonceOfBlob(a.wrap(vek, BINDING)), nonceOfBlob(b.wrap(vek, BINDING)));
    }
  }

  @Test
  void leaseAtEndOfLowWord_nextNonces_carryIntoHighWordAndWrapAt2pow96() throws Exception {
    NonceLease lease = new NonceLease();
    byte[] out = new byte[WrappedKeyFormat.NONCE_LENGTH];
    lease.next(out, 0);
    set(lease, "high", 0x12345678);
    set(lease, "low", -1L);
    lease.next(out, 0);
    assertEquals(new BigInteger("12345678ffffffffffffffff", 16), nonce(out, 0));
    lease.next(out, 0);
    assertEquals(new BigInteger("123456790000000000000000", 16), nonce(out, 0), "carry into the high word");

    set(lease, "high", -1);
    set(lease, "low", -1L);
    lease.next(out, 0);
    lease.next(out, 0);
    assertEquals(BigInteger.ZERO, nonce(out, 0), "all ones + 1 wraps to zero: the cycle is 2^96");
    lease.next(out, 0);
    assertEquals(BigInteger.ONE, nonce(out, 0), "and the lease is kept, not redrawn");
  }

  @Test
  void leasedSource_writesOnlyTheTwelveNonceBytes() {
    CipherState state = new CipherState(null);
    byte[] out = new byte[20];
    NonceSource.LEASED.next(state, out, 4);
    BigInteger first = nonce(out, 4);
    assertArrayEquals(new byte[4], Arrays.copyOfRange(out, 0, 4), "nothing written before the offset");
    assertArrayEquals(new byte[4], Arrays.copyOfRange(out, 16, 20), "nothing written after the nonce");
    NonceSource.LEASED.next(state, out, 4);
    assertEquals(first.add(BigInteger.ONE).mod(CYCLE), nonce(out, 4));
  }

  @Test
  void destroyedLease_nextNonce_drawsAFreshStart() {
    NonceLease lease = new NonceLease();
    byte[] out = new byte[WrappedKeyFormat.NONCE_LENGTH];
    lease.next(out, 0);
    BigInteger first = nonce(out, 0);
    lease.destroy();
    lease.next(out, 0);
    assertNotEquals(first.add(BigInteger.ONE).mod(CYCLE), nonce(out, 0));
    assertFalse(nonce(out, 0).equals(first));
  }

  private static void set(NonceLease lease, String field, Object value) throws ReflectiveOperationException {
    java.lang.reflect.Field f = NonceLease.class.getDeclaredField(field);
    f.setAccessible(true);
    f.set(lease, value);
  }
}
