package dev.kmsengine.keystore;

import java.util.Locale;

/** The state of an SVM's keystore, as {@code /api/security/key-stores} reports it for the enabled configuration. */
public enum KeystoreState {
  /** Serving new and existing keys. */
  ACTIVE,
  /** Being enabled for the first time; all key operations wait. */
  INITIALIZING,
  /** The enabled configuration is being switched; persisted, so an interrupted switch stays visible. */
  SWITCHING,
  /** An SVM-KEK rekey is running; new keys cannot be created. */
  SVM_KEK_REKEY,
  /** The top-level key cannot be obtained or used; no key can be served until a restore succeeds. */
  BLOCKED,
  /** Being disabled. */
  DISABLING,
  /** Not the enabled configuration. */
  INACTIVE;

  /**
   * The REST value ({@code "svm_kek_rekey"}, ...).
   *
   * @return the value of the keystore's {@code state} field
   */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
