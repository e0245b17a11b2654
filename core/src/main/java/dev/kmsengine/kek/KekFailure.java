package dev.kmsengine.kek;

/** Why a top-level KEK could not be obtained. Each maps to one ONTAP error code in the engine. */
public enum KekFailure {
  /** No connection could be made (DNS, refused, TLS handshake, proxy), or the server kept failing. */
  UNREACHABLE,
  /** Keystone rejected the application credential, or Barbican rejected the token (401/403/404 on auth). */
  AUTHENTICATION,
  /** The secret named by {@code key_id} does not exist, was deleted, or expired. */
  KEY_NOT_FOUND,
  /** The secret exists but is not exactly 256 bits of AES key (type, algorithm, size, or payload length). */
  WRONG_KEY_TYPE,
  /** An attempt ran past the configuration's {@code timeout}. */
  TIMEOUT
}
