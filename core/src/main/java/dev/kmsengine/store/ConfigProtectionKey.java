package dev.kmsengine.store;

import dev.kmsengine.internal.crypto.Randomness;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.Destroyable;

/**
 * The configuration-protection key: the AES-256-GCM key that seals the secret fields of keystore configurations
 * ({@code application_cred_secret}, {@code proxy_password}) before they are stored in the cluster database. It is
 * kept outside the database it protects: in memory beside an {@link InMemoryClusterDatabase}, and in its own file
 * beside an {@link MvStoreClusterDatabase} ({@value #FILE_SUFFIX} appended to the database file's name), so a copy
 * of the database file alone reveals no secret.
 *
 * <h2>Rotation</h2>
 * A key may hold several generations, each with a random 32-bit id: the newest seals, any of them opens. The engine
 * rotates by {@link #rotate() adding} a generation, resealing every configuration under it in one commit, and
 * {@link #retireOldGenerations() retiring} the others; a crash in between leaves both in the file, and the next
 * open reseals and retires.
 *
 * <h2>File (version 1)</h2>
 * <pre>
 * offset size field
 *      0    8 ASCII "KMSE-CPK"
 *      8    1 file format version (0x01)
 *      9    1 generation count n (1..16)
 *     10 36·n per generation: 4-byte id (big-endian), 32-byte key; the first seals
 * </pre>
 * Mode 0600, written whole to a temporary file (created 0600), synced, and renamed over the old one. A file found
 * with wider permissions is narrowed to 0600 on open.
 *
 * <h2>Sealed value (version 1)</h2>
 * {@code 0x01 ‖ key id (4) ‖ nonce (12) ‖ ciphertext ‖ tag (16)}, with the caller's associated data. Nonces are 96
 * bits from {@link Randomness} per seal (SP 800-38D §8.2.2); configuration writes are rare, so q seals under one
 * generation collide with probability below q²/2<sup>97</sup>.
 *
 * <p>Thread-safe.
 */
public final class ConfigProtectionKey implements Destroyable {
  /** Appended to the database file's name to name the key file. */
  public static final String FILE_SUFFIX = ".config-protection-key";
  private static final byte[] MAGIC = {'K', 'M', 'S', 'E', '-', 'C', 'P', 'K'};
  private static final byte FILE_VERSION = 1;
  private static final byte SEALED_VERSION = 1;
  private static final int KEY_LENGTH = 32;
  private static final int NONCE_LENGTH = 12;
  private static final int TAG_BITS = 128;
  private static final int MAX_GENERATIONS = 16;
  private static final int HEADER = 1 + 4 + NONCE_LENGTH;

  private final SecureRandom random = Randomness.secureRandom();
  /** The file, or null for a key held in memory only. */
  private final Path file;
  /** The generations, newest (the sealing one) first. Guarded by {@code this}. */
  private final List<Generation> generations;
  private boolean destroyed;

  private record Generation(int id, byte[] key) {}

  private ConfigProtectionKey(Path file, List<Generation> generations) {
    this.file = file;
    this.generations = generations;
  }

  /**
   * A fresh key held in memory only, for a database that is itself in memory.
   *
   * @return a key with one random generation
   */
  public static ConfigProtectionKey inMemory() {
    ConfigProtectionKey k = new ConfigProtectionKey(null, new ArrayList<>());
    k.generations.add(new Generation(k.newId(), k.newKeyBytes()));
    return k;
  }

  /**
   * The key in {@code file}, created there (mode 0600) with one random generation if the file does not exist.
   *
   * @param file the key file
   * @return the key
   * @throws StoreException if the file exists but is not a key file of a supported version, or cannot be written
   */
  public static ConfigProtectionKey openOrCreate(Path file) {
    Path path = file.toAbsolutePath();
    try {
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        ConfigProtectionKey k = new ConfigProtectionKey(path, new ArrayList<>());
        k.generations.add(new Generation(k.newId(), k.newKeyBytes()));
        k.write();
        return k;
      }
      OwnerOnlyFiles.restrict(path, OwnerOnlyFiles.FILE);
      return new ConfigProtectionKey(path, parse(path, Files.readAllBytes(path)));
    } catch (IOException e) {
      throw new StoreException("Configuration-protection key " + path + " cannot be read or written: "
          + e.getMessage(), e);
    }
  }

  private static List<Generation> parse(Path path, byte[] b) {
    try {
      if (b.length < MAGIC.length + 2 || !Arrays.equals(Arrays.copyOf(b, MAGIC.length), MAGIC)) {
        throw new StoreException("File " + path + " is not a kms-engine configuration-protection key.");
      }
      if (b[MAGIC.length] != FILE_VERSION) {
        throw new StoreException("Configuration-protection key " + path + " has format version "
            + (b[MAGIC.length] & 0xff) + ", which this engine does not support.");
      }
      int n = b[MAGIC.length + 1] & 0xff;
      if (n < 1 || n > MAX_GENERATIONS || b.length != MAGIC.length + 2 + n * (4 + KEY_LENGTH)) {
        throw new StoreException("Configuration-protection key " + path + " is truncated or damaged.");
      }
      ByteBuffer in = ByteBuffer.wrap(b, MAGIC.length + 2, n * (4 + KEY_LENGTH));
      List<Generation> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int id = in.getInt();
        byte[] key = new byte[KEY_LENGTH];
        in.get(key);
        out.add(new Generation(id, key));
      }
      return out;
    } finally {
      Arrays.fill(b, (byte) 0);
    }
  }

  /**
   * A random generation id not held yet: random rather than counted, so a value sealed under another key file's
   * generation is reported as such instead of failing authentication under a same-numbered one.
   */
  private int newId() {
    int id;
    do {
      id = random.nextInt();
    } while (generation(id) != null);
    return id;
  }

  private byte[] newKeyBytes() {
    byte[] k = new byte[KEY_LENGTH];
    random.nextBytes(k);
    return k;
  }

  /** Writes every generation to the file, atomically and durably; nothing for an in-memory key. */
  private void write() throws IOException {
    if (file == null) {
      return;
    }
    byte[] b = new byte[MAGIC.length + 2 + generations.size() * (4 + KEY_LENGTH)];
    ByteBuffer out = ByteBuffer.wrap(b).put(MAGIC).put(FILE_VERSION).put((byte) generations.size());
    for (Generation g : generations) {
      out.putInt(g.id()).put(g.key());
    }
    Path temp = file.resolveSibling(file.getFileName() + ".new");
    try {
      Files.deleteIfExists(temp);
      try (FileChannel ch = FileChannel.open(temp, EnumSet.of(StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE), OwnerOnlyFiles.createAttributes(file.getParent(), OwnerOnlyFiles.FILE))) {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      MvStoreFiles.syncDirectory(file.getParent());
    } finally {
      Arrays.fill(b, (byte) 0);
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Seals {@code plaintext} under the newest generation.
   *
   * @param plaintext the secret bytes
   * @param aad associated data binding the value to its place (record and field)
   * @return the sealed value (format above)
   */
  public synchronized byte[] seal(byte[] plaintext, byte[] aad) {
    checkLive();
    Generation g = generations.get(0);
    byte[] out = new byte[HEADER + plaintext.length + TAG_BITS / 8];
    ByteBuffer.wrap(out).put(SEALED_VERSION).putInt(g.id());
    byte[] nonce = new byte[NONCE_LENGTH];
    random.nextBytes(nonce);
    System.arraycopy(nonce, 0, out, 5, NONCE_LENGTH);
    try {
      Cipher c = cipher(Cipher.ENCRYPT_MODE, g, nonce, aad);
      c.doFinal(plaintext, 0, plaintext.length, out, HEADER);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's AES-GCM refused a 256-bit key", e);
    }
  }

  /**
   * Opens a value made by {@link #seal} under any generation this key still holds.
   *
   * @param sealed the sealed value
   * @param aad the associated data it was sealed with
   * @return the plaintext; the caller zeroises it when done
   * @throws StoreException if the value is damaged, bound to other associated data, or sealed under a generation
   *     this key does not hold (a key file that does not belong to this database)
   */
  public synchronized byte[] open(byte[] sealed, byte[] aad) {
    checkLive();
    if (sealed.length < HEADER + TAG_BITS / 8 || sealed[0] != SEALED_VERSION) {
      throw new StoreException("A sealed configuration secret is damaged or of an unknown format.");
    }
    Generation g = generation(ByteBuffer.wrap(sealed, 1, 4).getInt());
    if (g == null) {
      throw new StoreException("A configuration secret is sealed under a configuration-protection key generation"
          + " that " + where() + " does not hold: the key file does not belong to this database.");
    }
    try {
      Cipher c = cipher(Cipher.DECRYPT_MODE, g, Arrays.copyOfRange(sealed, 5, HEADER), aad);
      return c.doFinal(sealed, HEADER, sealed.length - HEADER);
    } catch (GeneralSecurityException e) {
      throw new StoreException("A sealed configuration secret does not authenticate under " + where() + ".", e);
    }
  }

  /**
   * Whether {@code sealed} is sealed under the newest generation.
   *
   * @param sealed a value made by {@link #seal}
   * @return {@code false} if it needs resealing after a rotation
   */
  public synchronized boolean isCurrent(byte[] sealed) {
    checkLive();
    return sealed.length >= HEADER && ByteBuffer.wrap(sealed, 1, 4).getInt() == generations.get(0).id();
  }

  /**
   * Adds a new random generation, which seals from now on; older ones still open until retired. Durable before it
   * returns.
   *
   * @throws StoreException if the key file cannot be written; the key is unchanged then
   */
  public synchronized void rotate() {
    checkLive();
    if (generations.size() == MAX_GENERATIONS) {
      retire(generations.subList(MAX_GENERATIONS - 1, MAX_GENERATIONS));
    }
    generations.add(0, new Generation(newId(), newKeyBytes()));
    try {
      write();
    } catch (IOException e) {
      Generation g = generations.remove(0);
      Arrays.fill(g.key(), (byte) 0);
      throw new StoreException("Configuration-protection key " + file + " cannot be written: " + e.getMessage(), e);
    }
  }

  /**
   * Forgets every generation but the newest, in the file too; call it once nothing is sealed under them.
   *
   * @throws StoreException if the key file cannot be written
   */
  public synchronized void retireOldGenerations() {
    checkLive();
    if (generations.size() > 1) {
      retire(generations.subList(1, generations.size()));
    }
  }

  private void retire(List<Generation> old) {
    List<Generation> gone = new ArrayList<>(old);
    old.clear();
    try {
      write();
    } catch (IOException e) {
      generations.addAll(gone);
      throw new StoreException("Configuration-protection key " + file + " cannot be written: " + e.getMessage(), e);
    }
    for (Generation g : gone) {
      Arrays.fill(g.key(), (byte) 0);
    }
  }

  /**
   * How many generations the key holds.
   *
   * @return 1 except between a {@link #rotate()} and the matching {@link #retireOldGenerations()}
   */
  public synchronized int generationCount() {
    return generations.size();
  }

  private Generation generation(int id) {
    for (Generation g : generations) {
      if (g.id() == id) {
        return g;
      }
    }
    return null;
  }

  private static Cipher cipher(int mode, Generation g, byte[] nonce, byte[] aad) throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, new SecretKeySpec(g.key(), "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    c.updateAAD(aad);
    return c;
  }

  private String where() {
    return file == null ? "the in-memory configuration-protection key" : "configuration-protection key " + file;
  }

  private void checkLive() {
    if (destroyed) {
      throw new IllegalStateException("configuration-protection key was destroyed");
    }
  }

  /** Zeroises every generation held in memory (the file stays). Idempotent. */
  @Override
  public synchronized void destroy() {
    destroyed = true;
    for (Generation g : generations) {
      Arrays.fill(g.key(), (byte) 0);
    }
  }

  @Override
  public synchronized boolean isDestroyed() {
    return destroyed;
  }

  @Override
  public String toString() {
    return "ConfigProtectionKey[" + (file == null ? "in memory" : file) + ", redacted]";
  }
}
