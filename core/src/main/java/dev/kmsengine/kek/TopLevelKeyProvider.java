package dev.kmsengine.kek;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.keystore.BarbicanConnection;

/**
 * The service-provider interface through which the engine obtains the top-level KEK of a Barbican configuration,
 * as seen from one node.
 *
 * <p>Each node of a cluster has its own network path to Barbican, so every call names the node; an
 * implementation (or a test double) may answer differently per node. The engine passes the provider explicitly
 * when it is built: there is no global registry and no class-path discovery, because a class slipped onto the
 * class path must not be able to receive keys.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #fetchKey} returns exactly 256 bits of AES key as new {@link KeyMaterial} that the caller owns and
 *       destroys; any other answer is a {@link KekException} with {@link KekFailure#WRONG_KEY_TYPE}.
 *   <li>{@link #checkReachability} proves the node can authenticate and see the key's metadata without reading
 *       the key itself.
 *   <li>Implementations are thread-safe: the engine calls them from several nodes at once.
 *   <li>Exception messages never contain secrets, tokens or key bytes.
 * </ul>
 */
public interface TopLevelKeyProvider {
  /**
   * Fetches the top-level KEK of {@code connection} through the network path of {@code node}.
   *
   * @param node the name of the cluster node asking
   * @param connection where and how to fetch the key
   * @return the 256-bit key, owned by the caller
   * @throws KekException if the key cannot be obtained, with the reason
   */
  KeyMaterial fetchKey(String node, BarbicanConnection connection) throws KekException;

  /**
   * Checks that {@code node} can reach Keystone and Barbican and see the key, without fetching key bytes.
   *
   * @param node the node that checks
   * @param connection the configuration's connection settings
   * @throws KekException if it cannot, with the reason
   */
  void checkReachability(String node, BarbicanConnection connection) throws KekException;

  /**
   * Forgets anything cached for a configuration (tokens, keys). The engine calls it when a configuration's
   * credentials or transport settings change, or the configuration is deleted.
   *
   * @param configurationUuid the configuration whose cached state is dropped
   */
  default void invalidate(java.util.UUID configurationUuid) {}
}
