package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.KeyMaterial.KeyAccess;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * {@link WrappingKey} against plain JCE on random inputs: the engine's blobs must be exactly the documented layout
 * (so another implementation can read them), and blobs made from the layout alone must unwrap in the engine.
 */
class WrappingKeyCrossCheckTest {
  private static final int ROUNDS = 300;
  // Seeded so that a failure reproduces; the keys are test data, not secrets.
  private final Random random = new Random(0x5eed_c0deL);

  @Test
  void wrap_randomKeysAndBindings_decryptsWithRawJceUsingDocumentedLayout() throws GeneralSecurityException {
    for (int i = 0; i < ROUNDS; i++) {
      byte[] wrapBytes = bytes(32);
      byte[] plain = bytes(32);
      KeyBinding binding = randomBinding();
      try (KeyMaterial wk = KeyMaterial.copyOf(wrapBytes);
          WrappingKey key = WrappingKey.of(wk);
          KeyMaterial payload = KeyMaterial.copyOf(plain)) {
        byte[] blob = key.wrap(payload, binding);

        assertEquals(WrappedKeyFormat.LENGTH, blob.length);
        assertEquals(WrappedKeyFormat.VERSION_1, blob[0]);
        assertEquals(binding.role().id(), blob[1]);
        byte[] nonce = Arrays.copyOfRange(blob, 2, 14);
        byte[] ctAndTag = Arrays.copyOfRange(blob, 14, 62);
        byte[] aad = WrappedKeyFormatKnownAnswerTest.layoutAad(binding.role().id(), binding.svm(),
            binding.subject(), binding.generation());
        assertArrayEquals(plain, RawGcm.open(wrapBytes, nonce, aad, ctAndTag), "round " + i);
      }
    }
  }

  @Test
  void rawJceBlob_randomKeysAndBindings_unwrapsWithWrappingKey() throws GeneralSecurityException {
    for (int i = 0; i < ROUNDS; i++) {
      byte[] wrapBytes = bytes(32);
      byte[] plain = bytes(32);
      byte[] nonce = bytes(12);
      KeyBinding binding = randomBinding();
      byte[] aad = WrappedKeyFormatKnownAnswerTest.layoutAad(binding.role().id(), binding.svm(), binding.subject(),
          binding.generation());
      byte[] blob = RawGcm.concat(new byte[] {WrappedKeyFormat.VERSION_1, binding.role().id()}, nonce,
          RawGcm.seal(wrapBytes, nonce, aad, plain));
      try (KeyMaterial wk = KeyMaterial.copyOf(wrapBytes);
          WrappingKey key = WrappingKey.of(wk);
          KeyMaterial back = key.unwrap(blob, binding);
          KeyMaterial expected = KeyMaterial.copyOf(plain)) {
        assertTrue(back.sameAs(expected), "round " + i);
      }
    }
  }

  @Test
  void wrap_sameKeyAndBindingTwice_givesDifferentBlobsThatBothUnwrap() throws GeneralSecurityException {
    // A fresh nonce per wrap: equal plaintexts must not produce equal blobs.
    KeyBinding binding = randomBinding();
    try (KeyMaterial wk = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey key = WrappingKey.of(wk);
        KeyMaterial payload = KeyMaterial.generate(Randomness.secureRandom())) {
      byte[] a = key.wrap(payload, binding);
      byte[] b = key.wrap(payload, binding);
      assertTrue(!Arrays.equals(a, b));
      try (KeyMaterial ka = key.unwrap(a, binding); KeyMaterial kb = key.unwrap(b, binding)) {
        assertTrue(ka.sameAs(payload) && kb.sameAs(payload));
      }
    }
  }

  @Test
  void wrappingKey_sourceKeyMaterialDestroyedAfterConstruction_stillWrapsAndUnwraps()
      throws GeneralSecurityException {
    KeyBinding binding = randomBinding();
    byte[] wrapBytes = bytes(32);
    KeyMaterial source = KeyMaterial.copyOf(wrapBytes);
    try (WrappingKey key = WrappingKey.of(source);
        KeyMaterial payload = KeyMaterial.generate(Randomness.secureRandom())) {
      source.destroy();
      byte[] blob = key.wrap(payload, binding);
      assertArrayEquals(payload.copyBytes(KeyAccess.insecure()), RawGcm.open(wrapBytes, Arrays.copyOfRange(blob, 2, 14),
          binding.encode(), Arrays.copyOfRange(blob, 14, 62)));
    }
  }

  @Test
  void oneWrappingKey_fourThreadsWrappingAndUnwrapping_everyRoundTripExact() throws Exception {
    // The engine shares one WrappingKey per SVM-KEK across its worker threads; each thread has its own cipher state.
    try (KeyMaterial wk = KeyMaterial.generate(Randomness.secureRandom()); WrappingKey key = WrappingKey.of(wk)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Callable<Integer>> tasks = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          tasks.add(() -> {
            int ok = 0;
            for (int i = 0; i < 5_000; i++) {
              KeyBinding binding = KeyBinding.vek(UUID.randomUUID(), UUID.randomUUID(), 1 + i);
              try (KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
                  KeyMaterial back = key.unwrap(key.wrap(vek, binding), binding)) {
                ok += back.sameAs(vek) ? 1 : 0;
              }
            }
            return ok;
          });
        }
        for (Future<Integer> f : pool.invokeAll(tasks)) {
          assertEquals(5_000, f.get());
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private KeyBinding randomBinding() {
    UUID svm = new UUID(random.nextLong(), random.nextLong());
    UUID subject = new UUID(random.nextLong(), random.nextLong());
    long generation = 1 + (random.nextLong() >>> 1);
    return random.nextBoolean() ? KeyBinding.vek(svm, subject, generation)
        : KeyBinding.svmKek(svm, subject, generation);
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
