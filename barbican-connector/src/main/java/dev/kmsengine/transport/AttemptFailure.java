package dev.kmsengine.transport;

import java.io.IOException;

/**
 * Carries a {@link TransportException} out of HttpClient's connection code, whose methods may throw only
 * {@link IOException}: the connect step knows which hop failed (the dial, the proxy's TLS, the CONNECT, the server's
 * TLS) and says so, and {@link HttpsClient} throws the carried exception unchanged.
 */
final class AttemptFailure extends IOException {
  private static final long serialVersionUID = 1L;

  /** The failure to report, with its kind and a message free of secrets. */
  private final TransportException failure;

  AttemptFailure(TransportException failure) {
    super(failure.getMessage(), failure);
    this.failure = failure;
  }

  TransportException failure() {
    return failure;
  }
}
