package dev.kmsengine.internal.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.crypto.KeyMaterial;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link WrappingKey#destroy()} leaves nothing derived from the key in any cipher state that used it: every field
 * reachable from each state (the {@link Gcm}, its memoised products and running sum, the nonce lease, the
 * associated-data buffer) is read by reflection and must be zero, and no JDK object (the AES cipher) may still be
 * referenced.
 */
class WrappingKeyDestroyTest {
  private static final UUID SVM = UUID.randomUUID();

  @Test
  void destroy_afterUseOnSeveralThreadsAndARewrapper_everyLiveCipherStateIsAllZeros() throws Exception {
    KeyMaterial oldBytes = KeyMaterial.generate(Randomness.secureRandom());
    KeyMaterial newBytes = KeyMaterial.generate(Randomness.secureRandom());
    KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
    WrappingKey oldKey = WrappingKey.of(oldBytes);
    WrappingKey newKey = WrappingKey.of(newBytes);
    UUID volume = UUID.randomUUID();
    byte[] oldBlob = oldKey.wrap(vek, KeyBinding.vek(SVM, volume, 1));
    List<Object> states = new ArrayList<>();
    states.add(oldKey.state());

    // Two threads that stay alive (their states are live, held by their ThreadLocal maps) until destroy is done.
    CountDownLatch destroyed = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<CipherState>> used = new ArrayList<>();
      CountDownLatch ready = new CountDownLatch(2);
      for (int t = 0; t < 2; t++) {
        used.add(pool.submit(() -> {
          KeyBinding b = KeyBinding.vek(SVM, UUID.randomUUID(), 2);
          try (KeyMaterial back = newKey.unwrap(newKey.wrap(vek, b), b)) {
            assertTrue(back.sameAs(vek));
          }
          CipherState mine = newKey.state();
          ready.countDown();
          assertTrue(destroyed.await(60, TimeUnit.SECONDS));
          return mine;
        }));
      }
      assertTrue(ready.await(60, TimeUnit.SECONDS));
      VekRewrapper rewrapper = new VekRewrapper(oldKey, newKey, SVM, 1, 2);
      rewrapper.rewrap(oldBlob, volume.getMostSignificantBits(), volume.getLeastSignificantBits(),
          new byte[WrappedKeyFormat.LENGTH], 0, true);
      states.add(field(rewrapper, "from"));
      states.add(field(rewrapper, "to"));
      assertEquals(2, oldKey.liveStates(), "the main thread's and the rewrapper's");
      assertEquals(3, newKey.liveStates(), "two threads' and the rewrapper's");

      List<Object> roots = new ArrayList<>(states);
      roots.add(field(oldKey, "ghash"));
      roots.add(field(newKey, "ghash"));
      for (Object s : states) {
        List<String> before = nonZero(s);
        assertTrue(before.stream().anyMatch(p -> p.contains(".memoLengthsProduct[")), "walk sees H products");
        assertTrue(before.stream().anyMatch(p -> p.endsWith(".aes")), "walk sees the AES cipher");
      }

      oldKey.destroy();
      newKey.destroy();
      for (Future<CipherState> f : used) {
        assertTrue(!f.isDone(), "the threads are still alive, so their states are live");
      }
      destroyed.countDown();
      for (Future<CipherState> f : used) {
        roots.add(f.get(60, TimeUnit.SECONDS));
      }
      for (Object root : roots) {
        assertEquals(List.of(), nonZero(root), "left behind after destroy in " + root.getClass().getSimpleName());
      }
      assertEquals(0, newKey.liveStates());
      assertThrows(IllegalStateException.class, () -> rewrapper.rewrap(oldBlob, volume.getMostSignificantBits(),
          volume.getLeastSignificantBits(), new byte[WrappedKeyFormat.LENGTH], 0, true));
      rewrapper.close();
    } finally {
      pool.shutdownNow();
      oldBytes.destroy();
      newBytes.destroy();
      vek.destroy();
    }
  }

  @Test
  void threadThatUsedTheKeyEnded_nextThreadTakesAState_endedThreadsStateZeroisedAndForgotten() throws Exception {
    try (KeyMaterial k = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey key = WrappingKey.of(k)) {
      KeyBinding b = KeyBinding.vek(SVM, UUID.randomUUID(), 1);
      CipherState[] ended = new CipherState[1];
      Thread t = new Thread(() -> {
        try {
          key.wrap(vek, b);
        } catch (java.security.GeneralSecurityException e) {
          throw new IllegalStateException(e);
        }
        ended[0] = key.state();
      });
      t.start();
      t.join(60_000);
      assertTrue(!t.isAlive());
      assertEquals(1, key.liveStates());
      assertTrue(!nonZero(ended[0]).isEmpty());

      key.wrap(vek, b);
      assertEquals(1, key.liveStates(), "only this thread's state is left");
      assertEquals(List.of(), nonZero(ended[0]));
    }
  }

  @Test
  void rewrapperClosed_itsStatesZeroisedAndReleased() throws Exception {
    try (KeyMaterial a = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial b = KeyMaterial.generate(Randomness.secureRandom());
        KeyMaterial vek = KeyMaterial.generate(Randomness.secureRandom());
        WrappingKey oldKey = WrappingKey.of(a);
        WrappingKey newKey = WrappingKey.of(b)) {
      UUID volume = UUID.randomUUID();
      byte[] blob = oldKey.wrap(vek, KeyBinding.vek(SVM, volume, 1));
      VekRewrapper rewrapper = new VekRewrapper(oldKey, newKey, SVM, 1, 2);
      rewrapper.rewrap(blob, volume.getMostSignificantBits(), volume.getLeastSignificantBits(),
          new byte[WrappedKeyFormat.LENGTH], 0, true);
      Object from = field(rewrapper, "from");
      Object to = field(rewrapper, "to");
      assertEquals(1, newKey.liveStates());
      rewrapper.close();
      assertEquals(0, newKey.liveStates());
      assertEquals(1, oldKey.liveStates(), "the main thread's own, from the first wrap");
      assertEquals(List.of(), nonZero(from));
      assertEquals(List.of(), nonZero(to));
    }
  }

  private static Object field(Object o, String name) throws ReflectiveOperationException {
    Field f = o.getClass().getDeclaredField(name);
    f.setAccessible(true);
    return f.get(o);
  }

  /**
   * The paths of every non-zero primitive, and of every object outside this package, reachable from {@code root}
   * through instance fields of this package's classes and through arrays.
   */
  static List<String> nonZero(Object root) throws IllegalAccessException {
    List<String> out = new ArrayList<>();
    walk(root, root.getClass().getSimpleName(), new IdentityHashMap<>(), out);
    return out;
  }

  private static void walk(Object o, String path, Map<Object, Boolean> seen, List<String> out)
      throws IllegalAccessException {
    if (o == null || seen.put(o, true) != null) {
      return;
    }
    Class<?> c = o.getClass();
    if (c.isArray()) {
      for (int i = 0; i < Array.getLength(o); i++) {
        Object v = Array.get(o, i);
        if (c.getComponentType().isPrimitive()) {
          check(v, path + "[" + i + "]", out);
        } else {
          walk(v, path + "[" + i + "]", seen, out);
        }
      }
      return;
    }
    if (!c.getPackageName().equals(WrappingKeyDestroyTest.class.getPackageName())) {
      out.add(path);
      return;
    }
    for (Class<?> k = c; k != null && k != Object.class && k != Record.class; k = k.getSuperclass()) {
      for (Field f : k.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers())) {
          continue;
        }
        f.setAccessible(true);
        Object v = f.get(o);
        if (f.getType().isPrimitive()) {
          check(v, path + "." + f.getName(), out);
        } else {
          walk(v, path + "." + f.getName(), seen, out);
        }
      }
    }
  }

  private static void check(Object v, String path, List<String> out) {
    boolean zero = v instanceof Boolean bool ? !bool : ((Number) (v instanceof Character ch ? (int) ch : v))
        .doubleValue() == 0;
    if (!zero) {
      out.add(path);
    }
  }

  @Test
  void wrappingKey_destroyed_reportsDestroyedAndRefusesWork() {
    WrappingKey w = WrappingKey.of(KeyMaterial.generate(Randomness.secureRandom()));
    assertFalse(w.isDestroyed());
    w.close();
    assertTrue(w.isDestroyed());
    assertThrows(IllegalStateException.class, w::state);
  }
}
