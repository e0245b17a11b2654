package dev.kmsengine.internal.crypto;

import java.security.GeneralSecurityException;

/**
 * A wrapped key that is not even shaped like one: wrong length, unknown format version, or the wrong role byte.
 * Distinct from an authentication failure ({@link javax.crypto.AEADBadTagException}), which means the blob is
 * well-formed but tampered with or bound elsewhere.
 *
 * <p>Immutable; safe to pass between threads.
 */
public final class MalformedBlobException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  MalformedBlobException(String message) {
    super(message);
  }
}
