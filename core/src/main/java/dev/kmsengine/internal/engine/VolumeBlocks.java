package dev.kmsengine.internal.engine;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.crypto.Randomness;
import dev.kmsengine.store.WriteBatch;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A simulated data path: blocks of a volume written and read through one node, encrypted with the volume's VEK
 * as that node holds it. It exists so that tests can prove no key was lost: data written before a rekey, switch,
 * restore or crash must read back identically afterwards, through every node.
 *
 * <p>Each block is AES-256-GCM under the VEK with a random 96-bit nonce (SecureRandom: the data path is not the
 * hot path) and associated data {@code "KMSD" || volume uuid || block number}, so a block moved to another
 * volume or offset fails to decrypt. Stored in bucket {@code blocks/{volume}} as nonce || ciphertext || tag.
 *
 * <p>Each call works on its own copy of the VEK, zeroised when it returns: a restore or reboot that replaces the
 * node's key meanwhile cannot change the key a block is sealed or opened with.
 */
final class VolumeBlocks {
  /** Large enough for a test's payloads, small enough that a block never strains a commit. */
  static final int MAX_BLOCK = 64 * 1024;
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;

  private final EngineState state;
  private final NodeDirectory directory;
  private final VolumeKeys keys;

  VolumeBlocks(EngineState state, NodeDirectory directory, VolumeKeys keys) {
    this.state = state;
    this.directory = directory;
    this.keys = keys;
  }

  static String bucket(UUID volume) {
    return "blocks/" + volume;
  }

  void write(String nodeName, UUID volume, long block, byte[] data) {
    if (data.length > MAX_BLOCK) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "data", "A block holds at most " + MAX_BLOCK + " bytes.");
    }
    byte[] vek = vekOn(nodeName, volume, block);
    byte[] out = new byte[NONCE + data.length + TAG_BITS / 8];
    byte[] nonce = new byte[NONCE];
    Randomness.secureRandom().nextBytes(nonce);
    System.arraycopy(nonce, 0, out, 0, NONCE);
    try {
      Cipher c = cipher(Cipher.ENCRYPT_MODE, vek, nonce, volume, block);
      c.doFinal(data, 0, data.length, out, NONCE);
    } catch (GeneralSecurityException e) {
      throw new KmsException(ErrorCode.ENCRYPT_FAILED, "", "", e);
    } finally {
      Arrays.fill(vek, (byte) 0);
    }
    state.db.commit(new WriteBatch().put(bucket(volume), blockKey(block), out));
  }

  byte[] read(String nodeName, UUID volume, long block) {
    byte[] vek = vekOn(nodeName, volume, block);
    try {
      byte[] stored = state.db.get(bucket(volume), blockKey(block));
      if (stored == null) {
        throw new KmsException(ErrorCode.ENTRY_NOT_FOUND, "block", "Block " + block + " was never written.");
      }
      Cipher c = cipher(Cipher.DECRYPT_MODE, vek, Arrays.copyOf(stored, NONCE), volume, block);
      return c.doFinal(stored, NONCE, stored.length - NONCE);
    } catch (GeneralSecurityException e) {
      throw new KmsException(ErrorCode.DECRYPT_FAILED, "", "Block " + block + " of volume " + volume
          + " does not decrypt with the node's key.", e);
    } finally {
      Arrays.fill(vek, (byte) 0);
    }
  }

  private byte[] vekOn(String nodeName, UUID volume, long block) {
    if (block < 0) {
      throw new KmsException(ErrorCode.INVALID_FIELD, "block", "Block numbers start at 0.");
    }
    directory.requireLocal(nodeName);
    Node node = state.node(nodeName);
    if (!node.isUp()) {
      throw new KmsException(ErrorCode.VEK_NOT_LOADED, "node", "Node: " + nodeName + " is down. Bring it up, run"
          + " the restore for the volume's SVM, and retry.");
    }
    VolumeRecord record = state.volumeRecord(volume);
    if (record == null) {
      // Deleted, possibly by another process, whose delete could not reach this node's table.
      node.removeVek(volume);
      throw new KmsException(ErrorCode.ENTRY_NOT_FOUND, "uuid");
    }
    // The node's own copy: the table's array is zeroised by the next restore or reboot, possibly mid-write.
    byte[] vek = node.vek(volume);
    if (vek == null) {
      vek = keys.loadOnDemand(node, record);
    }
    if (vek == null) {
      throw new KmsException(ErrorCode.VEK_NOT_LOADED, "node", "Node: " + nodeName
          + " does not hold the key of volume " + volume + " (it rebooted, went down or was cut off since the"
          + " last restore). Run the restore for the volume's SVM, and retry.");
    }
    return vek;
  }

  private static Cipher cipher(int mode, byte[] vek, byte[] nonce, UUID volume, long block)
      throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, new SecretKeySpec(vek, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    c.updateAAD(ByteBuffer.allocate(28).put(new byte[] {'K', 'M', 'S', 'D'})
        .putLong(volume.getMostSignificantBits()).putLong(volume.getLeastSignificantBits()).putLong(block).array());
    return c;
  }

  private static UUID blockKey(long block) {
    return new UUID(0, block);
  }
}
