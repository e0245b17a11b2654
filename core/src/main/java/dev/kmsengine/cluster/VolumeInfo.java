package dev.kmsengine.cluster;

import java.util.UUID;

/**
 * A volume as {@code /api/storage/volumes} shows it.
 *
 * <p>Immutable; thread-safe.
 *
 * @param uuid the volume uuid
 * @param name the volume name, unique within its SVM
 * @param svmUuid the owning SVM
 * @param svmName the owning SVM's name
 * @param encrypted {@code encryption.enabled}
 * @param keyId {@code encryption.key_id}: a non-secret identifier of the VEK (hex), empty if not encrypted
 */
public record VolumeInfo(UUID uuid, String name, UUID svmUuid, String svmName, boolean encrypted, String keyId) {

  /**
   * {@code encryption.state}: {@code encrypted} or {@code none}.
   *
   * @return {@code encrypted} or {@code none}
   */
  public String encryptionState() {
    return encrypted ? "encrypted" : "none";
  }
}
