package dev.kmsengine.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The production nonce policy ({@link NonceSource#LEASED}): a random 64-bit prefix leased per thread and per key,
 * a 32-bit counter suffix that starts at 1 and never repeats within a lease, and a new lease before the counter
 * wraps. Nonces are read back from the blobs' nonce field, so these tests see what is actually stored.
 */
class NonceSourceTest {
  private static final KeyBinding BINDING = KeyBinding.vek(UUID.randomUUID(), UUID.randomUUID(), 1);

  /** A 96-bit nonce as a value. */
  record Nonce(long prefix, int counter) {
    static Nonce of(byte[] blob) {
      ByteBuffer b = ByteBuffer.wrap(blob, WrappedKeyFormat.NONCE_OFFSET, WrappedKeyFormat.NONCE_LENGTH);
      return new Nonce(b.getLong(), b.getInt());
    }
  }

  @Test
  void wrap_200kTimesAcrossFourThreadsUnderOneKey_allNoncesDistinct() throws Exception {
    int threads = 4;
    int perThread = 50_000;
    try (KeyMaterial k = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey key = WrappingKey.of(k)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Callable<Nonce[]>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          tasks.add(() -> {
            Nonce[] seen = new Nonce[perThread];
            for (int i = 0; i < perThread; i++) {
              seen[i] = Nonce.of(key.wrap(vek, BINDING));
            }
            return seen;
          });
        }
        Set<Nonce> all = new HashSet<>();
        Set<Long> prefixes = new HashSet<>();
        for (Future<Nonce[]> f : pool.invokeAll(tasks)) {
          Nonce[] seen = f.get();
          // Within one thread: one lease, counting 1, 2, 3, ... without gaps or repeats.
          for (int i = 0; i < perThread; i++) {
            assertEquals(seen[0].prefix(), seen[i].prefix(), "one lease per thread");
            assertEquals(i + 1, seen[i].counter(), "counter of wrap " + i);
          }
          prefixes.add(seen[0].prefix());
          all.addAll(Arrays.asList(seen));
        }
        assertEquals(threads, prefixes.size(), "each thread leased its own prefix");
        assertEquals(threads * perThread, all.size(), "every nonce under the key is distinct");
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void twoWrappingKeysOfTheSameKey_sameThread_leaseDifferentPrefixes() throws GeneralSecurityException {
    try (KeyMaterial k = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey a = WrappingKey.of(k);
        WrappingKey b = WrappingKey.of(k)) {
      Nonce na = Nonce.of(a.wrap(vek, BINDING));
      Nonce nb = Nonce.of(b.wrap(vek, BINDING));
      assertEquals(1, na.counter());
      assertEquals(1, nb.counter());
      assertNotEquals(na.prefix(), nb.prefix(), "same key, same counter: the prefixes must differ");
    }
  }

  @Test
  void counterNearWrapAround_nextWraps_useLastSuffixesThenRenewLeaseAtOne() throws GeneralSecurityException {
    try (KeyMaterial k = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey key = WrappingKey.of(k)) {
      Nonce first = Nonce.of(key.wrap(vek, BINDING));
      key.state().counter = 0xfffffffd;

      Nonce n1 = Nonce.of(key.wrap(vek, BINDING));
      Nonce n2 = Nonce.of(key.wrap(vek, BINDING));
      Nonce renewed = Nonce.of(key.wrap(vek, BINDING));
      Nonce after = Nonce.of(key.wrap(vek, BINDING));

      assertEquals(new Nonce(first.prefix(), 0xfffffffe), n1);
      assertEquals(new Nonce(first.prefix(), 0xffffffff), n2, "the last suffix of the lease is used once");
      assertNotEquals(first.prefix(), renewed.prefix(), "a wrapped counter must take a new lease");
      assertEquals(1, renewed.counter(), "the new lease restarts at 1, never 0");
      assertEquals(new Nonce(renewed.prefix(), 2), after);
    }
  }

  @Test
  void counterCrossingSignBit_nextWrap_keepsLeaseAndCountsOn() throws GeneralSecurityException {
    try (KeyMaterial k = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey key = WrappingKey.of(k)) {
      Nonce first = Nonce.of(key.wrap(vek, BINDING));
      key.state().counter = Integer.MAX_VALUE - 1;
      assertEquals(new Nonce(first.prefix(), Integer.MAX_VALUE), Nonce.of(key.wrap(vek, BINDING)));
      assertEquals(new Nonce(first.prefix(), Integer.MIN_VALUE), Nonce.of(key.wrap(vek, BINDING)));
      assertEquals(new Nonce(first.prefix(), Integer.MIN_VALUE + 1), Nonce.of(key.wrap(vek, BINDING)));
    }
  }

  @Test
  void leasedSource_freshState_leasesRandomPrefixAndCountsFromOne() {
    CipherState state = leaseOnlyState();
    byte[] out = new byte[20];
    NonceSource.LEASED.next(state, out, 4);
    byte[] prefix = state.noncePrefix.clone();
    assertArrayEquals(prefix, Arrays.copyOfRange(out, 4, 12));
    assertArrayEquals(new byte[] {0, 0, 0, 1}, Arrays.copyOfRange(out, 12, 16));
    assertArrayEquals(new byte[4], Arrays.copyOfRange(out, 0, 4), "nothing written before the offset");
    assertArrayEquals(new byte[4], Arrays.copyOfRange(out, 16, 20), "nothing written after the nonce");
    NonceSource.LEASED.next(state, out, 4);
    assertArrayEquals(prefix, Arrays.copyOfRange(out, 4, 12));
    assertArrayEquals(new byte[] {0, 0, 0, 2}, Arrays.copyOfRange(out, 12, 16));
    assertFalse(Arrays.equals(new byte[8], prefix), "the prefix is drawn, not left zero");
  }

  @Test
  void leasedSource_twoFreshStates_neverShareAPrefix() {
    Set<Long> prefixes = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      CipherState s = leaseOnlyState();
      byte[] out = new byte[12];
      NonceSource.LEASED.next(s, out, 0);
      assertTrue(prefixes.add(ByteBuffer.wrap(out).getLong()), "prefix repeated after " + i + " leases");
    }
  }

  /** A state for exercising the lease alone: the nonce policy never touches the state's cipher. */
  private static CipherState leaseOnlyState() {
    return new CipherState(null);
  }
}
