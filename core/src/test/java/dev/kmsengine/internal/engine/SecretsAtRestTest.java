package dev.kmsengine.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.keystore.BarbicanConfigUpdate;
import dev.kmsengine.keystore.Secret;
import dev.kmsengine.store.ConfigProtectionKey;
import dev.kmsengine.store.MvStoreClusterDatabase;
import dev.kmsengine.store.StoreException;
import dev.kmsengine.store.WriteBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets at rest in a durable data directory: sealed under the configuration-protection key, gone from every file
 * after a rotation and a close (and after an old plain-text store is opened and resealed), and every file and
 * directory owner-only.
 */
class SecretsAtRestTest {
  private static final String OLD_SECRET = "canary-old-cred-secret-3d7a";
  private static final String NEW_SECRET = "canary-new-cred-secret-c41e";
  private static final String OLD_PROXY_PASSWORD = "canary-old-proxy-pw-8b02";
  private static final String NEW_PROXY_PASSWORD = "canary-new-proxy-pw-f5d9";
  private static final List<String> CANARIES = List.of(OLD_SECRET, NEW_SECRET, OLD_PROXY_PASSWORD,
      NEW_PROXY_PASSWORD);

  @TempDir
  Path temp;

  private final InMemoryKeyProvider provider = TestCluster.newProvider()
      .addCredential("cred-old", Secret.of(OLD_SECRET)).addCredential("cred-new", Secret.of(NEW_SECRET));

  private TestCluster engine(MvStoreClusterDatabase db) {
    return new TestCluster(KmsEngine.builder(ClusterSpec.builder("cluster1").nodeCount(2).dataSvms("svm1").build())
        .database(db), provider);
  }

  @Test
  void secretsRotatedAndStoreClosed_noCanaryInAnyDataDirFile_filesAre0600AndDirectories0700() throws Exception {
    Path dir = temp.resolve("data");
    Path file = dir.resolve("cluster.mv");
    UUID config;
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file); TestCluster t = engine(db)) {
      config = t.succeed(t.engine.barbican().createBarbicanConfig(TestCluster.request("svm1", "c", TestCluster.KEY_1)
          .applicationCredId("cred-old").applicationCredSecret(Secret.of(OLD_SECRET)).proxyHost("proxy.test")
          .proxyPort(3128).proxyUsername("user").proxyPassword(Secret.of(OLD_PROXY_PASSWORD)).build()))
          .resourceUuid();
      t.succeed(t.engine.barbican().updateBarbicanConfig(config, BarbicanConfigUpdate.credentials("cred-new",
          Secret.of(NEW_SECRET))));
      t.succeed(t.engine.barbican().updateBarbicanConfig(config, new BarbicanConfigUpdate(null, null, null, null,
          null, null,
          Secret.of(NEW_PROXY_PASSWORD), null, null, null)));
      t.engine.barbican().rotateConfigProtectionKey();
      assertEquals(1, db.configProtectionKey().generationCount(), "the old key generation is retired");
    }
    assertEquals(List.of(), hits(dir), "canaries found in the data directory");
    assertOwnerOnly(dir);

    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file); TestCluster t = engine(db)) {
      ConfigRecord c = Engine.of(t.engine).state.configRecord(config);
      assertEquals(Secret.of(NEW_SECRET), c.appCredSecret(), "the sealed secret is still there for the engine");
      assertEquals(Secret.of(NEW_PROXY_PASSWORD), c.proxyPassword());
    }
  }

  @Test
  void storeWithPlainTextVersion1Record_opened_resealedAndEarlierVersionsPurgedFromTheFile() throws Exception {
    Path dir = temp.resolve("old");
    Path file = dir.resolve("cluster.mv");
    UUID config = UUID.randomUUID();
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file)) {
      UUID svm;
      try (TestCluster t = engine(db)) {
        svm = t.svmUuid("svm1");
      }
      // What an engine of record version 1 wrote: secrets in plain text, then a rotation, each its own commit.
      db.commit(new WriteBatch().put(Buckets.CONFIGS, config, version1(svm, OLD_SECRET, OLD_PROXY_PASSWORD)));
      db.commit(new WriteBatch().put(Buckets.CONFIGS, config, version1(svm, NEW_SECRET, NEW_PROXY_PASSWORD)));
    }
    for (Path p : files(dir)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x"
          : "rw-r--r--"));
    }
    assertTrue(hits(dir).size() >= 4, "precondition: the old store holds every canary in plain text");

    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file); TestCluster t = engine(db)) {
      assertEquals(Secret.of(NEW_SECRET), Engine.of(t.engine).state.configRecord(config).appCredSecret());
      assertEquals(null, db.get(Buckets.MAINTENANCE, Buckets.PURGE_PENDING), "the purge finished");
    }
    assertEquals(List.of(), hits(dir), "canaries left in the data directory after the migration");
    for (Path p : files(dir)) {
      if (!Files.isDirectory(p)) {
        assertEquals("rw-------", mode(p), "mode of " + p.getFileName());
      }
    }
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file); TestCluster t = engine(db)) {
      ConfigRecord c = Engine.of(t.engine).state.configRecord(config);
      assertEquals(Secret.of(NEW_PROXY_PASSWORD), c.proxyPassword(), "the rewritten file reopens with its data");
      assertEquals(1, t.engine.barbican().barbicanConfigs().size());
    }
  }

  @Test
  void keyFileLost_engineOnTheDatabase_refusesToStartNamingTheKeyFile() throws Exception {
    Path file = temp.resolve("lost").resolve("cluster.mv");
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file); TestCluster t = engine(db)) {
      t.createConfig("svm1", "c", TestCluster.KEY_1);
    }
    Path keyFile = file.resolveSibling(file.getFileName() + ConfigProtectionKey.FILE_SUFFIX);
    Files.delete(keyFile);
    try (MvStoreClusterDatabase db = MvStoreClusterDatabase.open(file)) {
      StoreException e = assertThrows(StoreException.class, () -> engine(db));
      assertTrue(e.getMessage().contains(keyFile.toString()), e.getMessage());
    }
  }

  @Test
  void protectionKeyRotatedWhileConfigurationsChange_noChangeLostAndEveryRecordOpens() throws Exception {
    try (TestCluster t = new TestCluster()) {
      UUID config = t.createConfig("svm1", "c", TestCluster.KEY_1);
      UUID other = t.createConfig("svm2", "d", TestCluster.KEY_1);
      int updates = 40;
      AtomicReference<Throwable> failed = new AtomicReference<>();
      Thread writer = new Thread(() -> {
        try {
          for (int i = 1; i <= updates; i++) {
            t.succeed(t.engine.barbican().updateBarbicanConfig(config, new BarbicanConfigUpdate(null, null, null,
                null, null,
                null, Secret.of("pw-" + i), null, null, null)));
          }
        } catch (Throwable e) {
          failed.set(e);
        }
      });
      writer.start();
      for (int i = 0; i < 20; i++) {
        t.engine.barbican().rotateConfigProtectionKey();
      }
      writer.join(120_000);
      assertTrue(!writer.isAlive());
      assertEquals(null, failed.get(), "an update failed while the key rotated");
      assertEquals(Secret.of("pw-" + updates), Engine.of(t.engine).state.configRecord(config).proxyPassword(),
          "last update kept");
      assertEquals(TestCluster.CRED_SECRET, Engine.of(t.engine).state.configRecord(other).appCredSecret());
      assertEquals(1, Engine.of(t.engine).state.db.configProtectionKey().generationCount());
    }
  }

  /** A configuration record as record version 1 encoded it. */
  private static byte[] version1(UUID svm, String secret, String proxyPassword) {
    return RecordCodec.write(out -> {
      out.writeUTF("legacy");
      RecordCodec.writeUuid(out, svm);
      out.writeUTF(TestCluster.KEY_1);
      out.writeUTF(TestCluster.KEYSTONE);
      out.writeUTF("cred-old");
      out.writeUTF(secret);
      out.writeByte(0);
      out.writeUTF("proxy.test");
      out.writeInt(3128);
      out.writeUTF("user");
      out.writeUTF(proxyPassword);
      out.writeBoolean(true);
      out.writeBoolean(true);
      out.writeInt(10);
    });
  }

  /** Every form a canary could be stored in: plain, base64 at each of the three alignments, hex both cases. */
  private static List<String> forms(String canary) {
    byte[] raw = canary.getBytes(StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(List.of(canary, HexFormat.of().formatHex(raw),
        HexFormat.of().withUpperCase().formatHex(raw)));
    for (int shift = 0; shift < 3; shift++) {
      byte[] shifted = new byte[shift + raw.length];
      System.arraycopy(raw, 0, shifted, shift, raw.length);
      String b64 = Base64.getEncoder().withoutPadding().encodeToString(shifted);
      // Drop the characters that depend on the bytes around the canary.
      int skip = (shift * 8 + 5) / 6;
      String core = b64.substring(skip, b64.length() - 2);
      out.add(core);
      out.add(core.replace('+', '-').replace('/', '_'));
    }
    return out;
  }

  private static List<String> hits(Path dir) throws IOException {
    List<String> found = new ArrayList<>();
    for (Path p : files(dir)) {
      if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        String content = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
        for (String canary : CANARIES) {
          for (String form : forms(canary)) {
            if (content.contains(form)) {
              found.add(p.getFileName() + ": " + canary + " as " + form);
            }
          }
        }
      }
    }
    return found;
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.toList();
    }
  }

  private static String mode(Path p) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
    return PosixFilePermissions.toString(perms);
  }

  private static void assertOwnerOnly(Path dir) throws IOException {
    List<Path> all = files(dir);
    assertTrue(all.size() >= 4, "the directory, the database, its marker and its key: " + all);
    for (Path p : all) {
      assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", mode(p), "mode of " + p);
    }
  }
}
