package dev.kmsengine.keystore;

import java.util.UUID;

/**
 * One entry of {@code /api/security/key-stores}: a key-manager configuration of an SVM and whether it is enabled.
 * The engine only has Barbican configurations, so {@code type} is {@code barbican} and {@code location}
 * {@code external}.
 *
 * @param uuid the keystore uuid, equal to {@code configuration.uuid}
 * @param configurationName the configuration name
 * @param svmUuid the owning SVM
 * @param svmName the owning SVM's name
 * @param enabled whether this configuration is the enabled one
 * @param state the keystore state ({@link KeystoreState#INACTIVE} for configurations that are not enabled)
 */
public record Keystore(UUID uuid, String configurationName, UUID svmUuid, String svmName, boolean enabled,
    KeystoreState state) {

  /**
   * Always {@code "barbican"}.
   *
   * @return {@code "barbican"}
   */
  public String type() {
    return "barbican";
  }

  /**
   * Always {@code "external"}.
   *
   * @return {@code "external"}
   */
  public String location() {
    return "external";
  }

  /**
   * Always {@code "svm"}.
   *
   * @return {@code "svm"}
   */
  public String scope() {
    return "svm";
  }
}
