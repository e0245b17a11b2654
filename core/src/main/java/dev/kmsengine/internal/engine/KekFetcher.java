package dev.kmsengine.internal.engine;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.crypto.KeyBinding;
import dev.kmsengine.internal.crypto.WrappingKey;
import dev.kmsengine.kek.KekException;
import dev.kmsengine.kek.KekException.KekFailure;
import java.security.GeneralSecurityException;
import java.util.UUID;

/**
 * The top-level KEK and the SVM-KEK under it: fetching the KEK through a node, unwrapping and wrapping the
 * SVM-KEK, and the ONTAP code of each fetch failure.
 *
 * <p>Thread-safe (stateless beyond the engine state it reads).
 */
final class KekFetcher {
  /** A top-level KEK and the node that fetched it. */
  record Fetched(String node, KeyMaterial key) implements AutoCloseable {
    @Override
    public void close() {
      key.destroy();
    }
  }

  private final EngineState state;

  KekFetcher(EngineState state) {
    this.state = state;
  }

  /** Fetches the top-level KEK through the first up node that succeeds. */
  Fetched fetch(ConfigRecord cfg) {
    KmsException first = null;
    for (Node n : state.nodes) {
      if (!n.isUp()) {
        continue;
      }
      try {
        return new Fetched(n.name, state.provider.fetchKey(n.name, cfg.connection()));
      } catch (KekException e) {
        if (first == null) {
          first = map(e, n.name);
        }
      }
    }
    throw first != null ? first : new KmsException(ErrorCode.UNREACHABLE, "", "No node is up.");
  }

  /** Proves the settings work from at least one up node, without fetching key bytes. */
  void healthCheck(ConfigRecord cfg) {
    String firstReason = "No node is up.";
    for (Node n : state.nodes) {
      if (!n.isUp()) {
        continue;
      }
      try {
        state.provider.checkReachability(n.name, cfg.connection());
        return;
      } catch (KekException e) {
        firstReason = "Node: " + n.name + ". Reason: " + e.getMessage();
        break;
      }
    }
    throw new KmsException(ErrorCode.HEALTH_CHECK_FAILED, "", firstReason);
  }

  /** The ONTAP error for a failed fetch; the detail names the node and carries the connector's reason. */
  static KmsException map(KekException e, String node) {
    return new KmsException(codeFor(e.failure()), "", "Node: " + node + ". Reason: " + e.getMessage(), e);
  }

  /** The ONTAP code of a fetch failure; per-node reports use it without building an exception. */
  static ErrorCode codeFor(KekFailure failure) {
    return switch (failure) {
      case UNREACHABLE, TIMEOUT -> ErrorCode.UNREACHABLE;
      case AUTHENTICATION -> ErrorCode.HEALTH_CHECK_FAILED;
      case KEY_NOT_FOUND -> ErrorCode.KEY_ID_NOT_FOUND;
      case WRONG_KEY_TYPE -> ErrorCode.KEY_RESPONSE_UNPARSABLE;
    };
  }

  /** Whether a failure means the top-level key itself is unusable, which blocks the keystore. */
  static boolean blocks(ErrorCode code) {
    return code == ErrorCode.KEY_ID_NOT_FOUND || code == ErrorCode.KEY_RESPONSE_UNPARSABLE
        || code == ErrorCode.SVM_KEK_UNWRAP_FAILED;
  }

  /** Unwraps the SVM-KEK blob of {@code cfg} with its top-level KEK. */
  static KeyMaterial unwrapSvmKek(SvmKeyState ks, UUID cfg, KeyMaterial kek) {
    byte[] blob = ks.wrappedKeks().get(cfg);
    if (blob == null) {
      throw new KmsException(ErrorCode.SVM_KEK_UNWRAP_FAILED, "",
          "No wrapped SVM-KEK is stored for this configuration.");
    }
    try (WrappingKey top = WrappingKey.of(kek)) {
      return top.unwrap(blob, KeyBinding.svmKek(ks.svm(), cfg, ks.generation()));
    } catch (GeneralSecurityException e) {
      throw new KmsException(ErrorCode.SVM_KEK_UNWRAP_FAILED, "", "", e);
    }
  }

  /** A copy of the current SVM-KEK: from an up node's key table if one holds it, else unwrapped via Barbican. */
  KeyMaterial currentSvmKek(SvmKeyState ks, ConfigRecord cfg, KeyMaterial kekOrNull) {
    for (Node n : state.nodes) {
      KeyMaterial held = n.svmKekCopy(ks.svm(), ks.generation());
      if (held != null) {
        return held;
      }
    }
    if (kekOrNull != null) {
      return unwrapSvmKek(ks, cfg.uuid(), kekOrNull);
    }
    try (Fetched kek = fetch(cfg)) {
      return unwrapSvmKek(ks, cfg.uuid(), kek.key());
    }
  }

  /** Wraps an SVM-KEK under a top-level KEK and proves the blob unwraps to it before anyone relies on it. */
  static byte[] wrapSvmKek(KeyMaterial svmKek, KeyMaterial kek, KeyBinding binding) {
    try (WrappingKey top = WrappingKey.of(kek)) {
      return wrapVerified(top, svmKek, binding, "The wrapped SVM-KEK did not verify.");
    }
  }

  /**
   * Wraps {@code key} under {@code wrapping} and proves the blob unwraps to it: the one check every new wrapped
   * key passes before it is stored.
   */
  static byte[] wrapVerified(WrappingKey wrapping, KeyMaterial key, KeyBinding binding, String mismatch) {
    try {
      byte[] blob = wrapping.wrap(key, binding);
      try (KeyMaterial check = wrapping.unwrap(blob, binding)) {
        if (!check.sameAs(key)) {
          throw new KmsException(ErrorCode.ENCRYPT_FAILED, "", mismatch);
        }
      }
      return blob;
    } catch (GeneralSecurityException e) {
      throw new KmsException(ErrorCode.ENCRYPT_FAILED, "", "", e);
    }
  }
}
