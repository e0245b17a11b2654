package dev.kmsengine.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration-protection key: sealing, rotation, and its file. */
class ConfigProtectionKeyTest {
  private static final byte[] AAD = "record-1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] SECRET = "canary-sealed-value-0c3e".getBytes(StandardCharsets.UTF_8);

  @TempDir
  Path dir;

  @Test
  void sealThenOpen_sameAad_givesThePlaintext_otherAadOrAnyFlippedByteFails() {
    ConfigProtectionKey key = ConfigProtectionKey.inMemory();
    byte[] sealed = key.seal(SECRET, AAD);
    assertArrayEquals(SECRET, key.open(sealed, AAD));
    assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("canary"));
    assertThrows(StoreException.class, () -> key.open(sealed, "record-2".getBytes(StandardCharsets.UTF_8)));
    for (int i = 5; i < sealed.length; i++) {
      byte[] bad = sealed.clone();
      bad[i] ^= 1;
      assertThrows(StoreException.class, () -> key.open(bad, AAD), "byte " + i + " flipped");
    }
    assertThrows(StoreException.class, () -> ConfigProtectionKey.inMemory().open(sealed, AAD), "another key");
  }

  @Test
  void sealTwice_differentNonces() {
    ConfigProtectionKey key = ConfigProtectionKey.inMemory();
    assertFalse(Arrays.equals(key.seal(SECRET, AAD), key.seal(SECRET, AAD)));
  }

  @Test
  void keyFile_createdOwnerOnly_reopenedOpensWhatTheFirstSealed() throws Exception {
    Path file = dir.resolve("db" + ConfigProtectionKey.FILE_SUFFIX);
    byte[] sealed = ConfigProtectionKey.openOrCreate(file).seal(SECRET, AAD);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertArrayEquals(SECRET, ConfigProtectionKey.openOrCreate(file).open(sealed, AAD));
  }

  @Test
  void rotate_oldValuesStillOpenUntilRetired_newValuesCurrent_fileFollows() {
    Path file = dir.resolve("k");
    ConfigProtectionKey key = ConfigProtectionKey.openOrCreate(file);
    byte[] old = key.seal(SECRET, AAD);
    key.rotate();
    assertEquals(2, key.generationCount());
    assertFalse(key.isCurrent(old));
    byte[] fresh = key.seal(SECRET, AAD);
    assertTrue(key.isCurrent(fresh));
    assertArrayEquals(SECRET, ConfigProtectionKey.openOrCreate(file).open(old, AAD), "the file holds both");

    key.retireOldGenerations();
    assertEquals(1, key.generationCount());
    ConfigProtectionKey reopened = ConfigProtectionKey.openOrCreate(file);
    assertThrows(StoreException.class, () -> reopened.open(old, AAD), "the retired generation is gone");
    assertArrayEquals(SECRET, reopened.open(fresh, AAD));
  }

  @Test
  void keyFileWithWiderMode_opened_narrowedTo0600() throws Exception {
    Path file = dir.resolve("k");
    ConfigProtectionKey.openOrCreate(file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    ConfigProtectionKey.openOrCreate(file);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void damagedOrForeignKeyFile_refusedWithItsName() throws Exception {
    Path file = dir.resolve("k");
    ConfigProtectionKey.openOrCreate(file);
    byte[] b = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(b, b.length - 1));
    StoreException e = assertThrows(StoreException.class, () -> ConfigProtectionKey.openOrCreate(file));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    Files.writeString(file, "not a key");
    e = assertThrows(StoreException.class, () -> ConfigProtectionKey.openOrCreate(file));
    assertTrue(e.getMessage().contains("not a kms-engine configuration-protection key"), e.getMessage());
  }

  @Test
  void destroyed_sealRefused_toStringRedacted() {
    ConfigProtectionKey key = ConfigProtectionKey.inMemory();
    key.destroy();
    assertTrue(key.isDestroyed());
    assertThrows(IllegalStateException.class, () -> key.seal(SECRET, AAD));
    assertEquals("ConfigProtectionKey[in memory, redacted]", key.toString());
  }
}
