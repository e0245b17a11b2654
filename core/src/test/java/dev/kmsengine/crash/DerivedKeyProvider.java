package dev.kmsengine.crash;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.KekException.KekFailure;
import dev.kmsengine.kek.TopLevelKeyProvider;
import dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection;
import dev.kmsengine.keystore.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A top-level key provider whose keys are derived from a fixed seed and the key id (HMAC-SHA-256), so a process
 * restarted on the same data directory fetches the same Barbican keys, as a real Barbican would serve them.
 * Only one application credential is accepted.
 */
final class DerivedKeyProvider implements TopLevelKeyProvider {
  static final String CRED_ID = "crash-cred";
  static final Secret CRED_SECRET = Secret.of("crash-cred-secret-9d2c");
  private static final byte[] SEED = "kms-engine crash workload seed".getBytes(StandardCharsets.UTF_8);

  @Override
  public KeyMaterial fetchKey(String node, BarbicanConnection c) throws KekException {
    authorise(c);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SEED, "HmacSHA256"));
      byte[] key = mac.doFinal(c.keyId().getBytes(StandardCharsets.UTF_8));
      try {
        return KeyMaterial.copyOf(key);
      } finally {
        java.util.Arrays.fill(key, (byte) 0);
      }
    } catch (GeneralSecurityException e) {
      throw new KekException(KekFailure.UNREACHABLE, "key derivation failed");
    }
  }

  @Override
  public void checkReachability(String node, BarbicanConnection c) throws KekException {
    authorise(c);
  }

  private static void authorise(BarbicanConnection c) throws KekException {
    if (!CRED_ID.equals(c.applicationCredId()) || !CRED_SECRET.equals(c.applicationCredSecret())) {
      throw new KekException(KekFailure.AUTHENTICATION, "the application credential was rejected");
    }
  }
}
