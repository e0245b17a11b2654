package dev.kmsengine.internal.crypto;

import dev.kmsengine.crypto.KeyMaterial;

/**
 * The frozen byte layout of a wrapped key as it lives in the cluster database.
 *
 * <h2>Format version 1 (62 bytes)</h2>
 * <pre>
 * offset size field
 *      0    1 format version (0x01)
 *      1    1 key role: 0x01 SVM-KEK, 0x02 VEK
 *      2   12 AES-GCM nonce
 *     14   32 AES-256-GCM ciphertext of the 32-byte key
 *     46   16 AES-GCM authentication tag (128 bits)
 * </pre>
 * The version and role bytes are also inside the associated data ({@link KeyBinding}), so changing either makes
 * authentication fail. A future version gets a new version byte; readers reject versions they do not know.
 *
 * <p>Constants only; thread-safe.
 */
public final class WrappedKeyFormat {
  /** The version byte of the only format so far. */
  public static final byte VERSION_1 = 0x01;
  /** AES-GCM nonce length: 96 bits, the size SP 800-38D recommends. */
  public static final int NONCE_LENGTH = 12;
  /** AES-GCM tag length: the full 128 bits. */
  public static final int TAG_LENGTH = 16;
  /** Header bytes before the nonce. */
  public static final int HEADER_LENGTH = 2;
  /** Offset of the nonce. */
  public static final int NONCE_OFFSET = HEADER_LENGTH;
  /** Offset of the ciphertext. */
  public static final int CIPHERTEXT_OFFSET = NONCE_OFFSET + NONCE_LENGTH;
  /** Total length of a version-1 blob. */
  public static final int LENGTH = CIPHERTEXT_OFFSET + KeyMaterial.LENGTH + TAG_LENGTH;

  private WrappedKeyFormat() {}
}
