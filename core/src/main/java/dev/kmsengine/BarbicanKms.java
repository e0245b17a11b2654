package dev.kmsengine;

import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.engine.Engine;
import dev.kmsengine.job.Job;
import dev.kmsengine.keystore.BarbicanConfig;
import dev.kmsengine.keystore.BarbicanConfigRequest;
import dev.kmsengine.keystore.BarbicanConfigUpdate;
import dev.kmsengine.keystore.Keystore;
import dev.kmsengine.keystore.Keystore.KekAvailability;
import dev.kmsengine.keystore.Keystore.Reachability;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The key-manager side of a {@link KmsEngine} ({@link KmsEngine#barbican()}): Barbican configurations
 * ({@code /api/security/barbican-kms}), the keystores they form ({@code /api/security/key-stores}), and the
 * operations on an SVM's keys: enable, switch, disable, rekey, restore.
 *
 * <p>Thread-safe, like the engine it belongs to: reads are snapshots; operations on one SVM run one at a time in
 * submission order, different SVMs in parallel.
 */
public final class BarbicanKms {
  private final Engine engine;

  BarbicanKms(Engine engine) {
    this.engine = engine;
  }

  /**
   * Every Barbican configuration, by SVM name then configuration name.
   *
   * @return a snapshot of the configurations, without secrets
   */
  public List<BarbicanConfig> barbicanConfigs() {
    return engine.barbicanConfigs();
  }

  /**
   * One configuration.
   *
   * @param uuid the configuration's uuid
   * @return the configuration without its secrets, or empty if there is none with this uuid
   */
  public Optional<BarbicanConfig> barbicanConfig(UUID uuid) {
    return engine.barbicanConfig(uuid);
  }

  /**
   * Creates an inactive Barbican configuration ({@code POST /api/security/barbican-kms}).
   *
   * <p>Checks run in this order, each failing with the reference's code: the cluster (license 1115127, version
   * 65539806, MetroCluster 65539809), the SVM (exists, not the admin SVM 65539807), the configuration name
   * (present, unique 65539808), {@code key_id} (HTTPS 65539810), {@code keystone_url} (HTTPS 65539811), the
   * credential id (65539835) and secret (65539805), then the optional transport fields.
   *
   * @param r the configuration's name, SVM, URLs, credentials and transport settings
   * @return the job; {@link Job#resourceUuid()} is the new configuration's uuid
   */
  public Job createBarbicanConfig(BarbicanConfigRequest r) {
    return engine.createBarbicanConfig(r);
  }

  /**
   * Updates a configuration ({@code PATCH /api/security/barbican-kms/{uuid}}). New credentials, and any change to
   * the enabled configuration, are checked against Barbican before they are kept (65539223 otherwise); cached
   * tokens and keys of the configuration are then invalidated.
   *
   * @param uuid the configuration's uuid
   * @param u the fields to change; absent fields keep their value
   * @return the job that checks and stores the change
   * @throws KmsException 65539832 for an unknown configuration, 65539841 when only one of the credential fields
   *     is given, 65539815/65539814 for an empty id/secret, {@link ErrorCode#INVALID_FIELD} for bad transport
   *     values
   */
  public Job updateBarbicanConfig(UUID uuid, BarbicanConfigUpdate u) {
    return engine.updateBarbicanConfig(uuid, u);
  }

  /**
   * Replaces the configuration-protection key: adds a new key generation (durably, in the key's own file),
   * reseals every configuration's secrets under it in one commit, retires the old generation and has the database
   * rewrite its files without the records sealed under it. Configuration writes wait meanwhile; a crash at any
   * point is finished when the next engine is built on the database.
   *
   * @throws dev.kmsengine.store.StoreException if the key file or the database cannot be written
   */
  public void rotateConfigProtectionKey() {
    engine.rotateConfigProtectionKey();
  }

  /**
   * The advanced property {@code barbican_reachability}: asks every node, in parallel, whether it reaches
   * Barbican with this configuration (token and key metadata, no key bytes).
   *
   * @param config the configuration's uuid
   * @return each node's answer
   * @throws KmsException {@link ErrorCode#CONFIG_NOT_FOUND} for an unknown configuration
   */
  public Reachability reachability(UUID config) {
    return engine.reachability(config);
  }

  /**
   * The advanced property {@code state}: whether every node holds the SVM-KEK, and if not, which nodes lack it
   * and why.
   *
   * @param config the configuration's uuid
   * @return whether every node holds the SVM-KEK, with the reason of each node that does not
   * @throws KmsException {@link ErrorCode#CONFIG_NOT_FOUND} for an unknown configuration
   */
  public KekAvailability kekAvailability(UUID config) {
    return engine.kekAvailability(config);
  }

  /**
   * Rekeys the SVM's internal key ({@code POST .../rekey-internal}): a fresh SVM-KEK, every VEK rewrapped under
   * it and verified, the new SVM-KEK protected by the configuration's top-level KEK, all made current in one
   * atomic commit. The VEKs themselves do not change.
   *
   * @param config the uuid of the SVM's enabled configuration
   * @return the rekey job
   * @throws KmsException 65539832 for an unknown configuration, 65539817 if it is not the enabled one; state
   *     conflicts (65537610, 65539436, 65539437, 65537556) fail the job
   */
  public Job rekeyInternal(UUID config) {
    return engine.rekeyInternal(config);
  }

  /**
   * Restores the SVM-KEK (and the VEKs under it) on every node from Barbican ({@code POST .../restore}). Each node
   * fetches the top-level KEK through its own path; the job's {@link Job#nodes()} says what happened on each, and
   * the job fails with 65539842 if any node failed.
   *
   * @param config the uuid of the SVM's enabled configuration
   * @return the restore job, with one result per node
   * @throws KmsException 65539832 for an unknown configuration, 65539817 if it is not the enabled one
   */
  public Job restore(UUID config) {
    return engine.restore(config);
  }

  /**
   * Starts a restore for every SVM with an enabled configuration, as a restarted cluster does: nodes come back
   * with empty key tables and get their keys from Barbican.
   *
   * @return the restore jobs, one per SVM
   */
  public List<Job> restoreAll() {
    return engine.restoreAll();
  }

  /**
   * Every keystore configuration ({@code GET /api/security/key-stores}), by SVM then name.
   *
   * @return a snapshot of the keystore configurations
   */
  public List<Keystore> keystores() {
    return engine.keystores();
  }

  /**
   * One keystore configuration.
   *
   * @param uuid the keystore configuration's uuid
   * @return the keystore configuration, or empty if there is none with this uuid
   */
  public Optional<Keystore> keystore(UUID uuid) {
    return engine.keystore(uuid);
  }

  /**
   * Enables a configuration ({@code PATCH /api/security/key-stores/{uuid}} with {@code enabled: true}). With no
   * enabled configuration, this fetches the top-level KEK to prove it works and makes the configuration active.
   * With another one enabled, it switches: the SVM-KEK is re-protected under the new configuration's KEK, no VEK
   * changes. A switch that fails leaves the keystore {@code switching} (rekey and delete are refused) until this
   * call is repeated and completes.
   *
   * @param uuid the keystore configuration's uuid
   * @return the enable or switch job
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown uuid
   */
  public Job enableKeystore(UUID uuid) {
    return engine.enableKeystore(uuid);
  }

  /**
   * Disables the enabled configuration ({@code enabled: false}); refused while the SVM has encrypted volumes,
   * whose keys would become unprotected.
   *
   * @param uuid the keystore configuration's uuid
   * @return the disable job
   */
  public Job disableKeystore(UUID uuid) {
    return engine.disableKeystore(uuid);
  }

  /**
   * Deletes an inactive configuration ({@code DELETE /api/security/key-stores/{uuid}}).
   *
   * @param uuid the keystore configuration's uuid
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown uuid, 65538905 if it is enabled,
   *     65539593 while the SVM's keystore is switching
   */
  public void deleteKeystore(UUID uuid) {
    engine.deleteKeystore(uuid);
  }
}
