package dev.kmsengine;

import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.NodeInfo;
import dev.kmsengine.cluster.SvmInfo;
import dev.kmsengine.cluster.VolumeInfo;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.internal.engine.Engine;
import dev.kmsengine.job.Job;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The cluster side of a {@link KmsEngine} ({@link KmsEngine#cluster()}): its nodes, SVMs and volumes, the
 * simulated data path that proves keys work, and the simulator's node controls ({@code /api/cluster/nodes},
 * {@code /api/svm/svms}, {@code /api/storage/volumes}).
 *
 * <p>Thread-safe, like the engine it belongs to: lists are snapshots, and changes run as jobs or under the SVM's
 * lock.
 */
public final class Cluster {
  private final Engine engine;

  Cluster(Engine engine) {
    this.engine = engine;
  }

  /**
   * The cluster this engine runs.
   *
   * @return the cluster specification the engine was built with
   */
  public ClusterSpec spec() {
    return engine.spec();
  }

  /**
   * The nodes, in cluster order, including those other engine processes on the same database host
   * ({@link NodeInfo#local()}).
   *
   * @return a snapshot of every node's name and state
   */
  public List<NodeInfo> nodes() {
    return engine.nodes();
  }

  /**
   * Reboots a node: it comes back at once with an empty key table and stays without keys until a restore.
   *
   * @param name the node's name, as in the cluster specification
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown node, {@link ErrorCode#REMOTE_NODE} for a
   *     node another engine process hosts
   */
  public void rebootNode(String name) {
    engine.rebootNode(name);
  }

  /**
   * Takes a node down (its key table is lost) or brings it up again (with an empty key table).
   *
   * @param name the node's name, as in the cluster specification
   * @param up {@code true} to bring the node up, {@code false} to take it down
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown node, {@link ErrorCode#REMOTE_NODE} for a
   *     node another engine process hosts
   */
  public void setNodeUp(String name, boolean up) {
    engine.setNodeUp(name, up);
  }

  /**
   * Every SVM, admin SVM first.
   *
   * @return a snapshot of the SVMs
   */
  public List<SvmInfo> svms() {
    return engine.svms();
  }

  /**
   * Creates a data SVM.
   *
   * @param name the new SVM's name
   * @return the new SVM, with a fresh uuid
   * @throws KmsException {@link ErrorCode#DUPLICATE_ENTRY} if the name is taken, {@link ErrorCode#INVALID_FIELD}
   *     if it is empty
   */
  public SvmInfo createSvm(String name) {
    return engine.createSvm(name);
  }

  /**
   * Every volume of every SVM, by SVM then name.
   *
   * @return a snapshot of the volumes
   */
  public List<VolumeInfo> volumes() {
    return engine.volumes();
  }

  /**
   * The volumes of one SVM, by name.
   *
   * @param svmUuid the SVM's uuid
   * @return a snapshot of that SVM's volumes; empty for an unknown SVM
   */
  public List<VolumeInfo> volumes(UUID svmUuid) {
    return engine.volumes(svmUuid);
  }

  /**
   * One volume.
   *
   * @param uuid the volume's uuid
   * @return the volume, or empty if there is none with this uuid
   */
  public Optional<VolumeInfo> volume(UUID uuid) {
    return engine.volume(uuid);
  }

  /**
   * Creates a volume; an encrypted one gets a fresh VEK wrapped under the SVM-KEK (created now if this is the
   * SVM's first encrypted volume) and installed on every up node that holds the SVM-KEK.
   *
   * @param svmName {@code svm.name} (or null when {@code svmUuid} is given)
   * @param svmUuid {@code svm.uuid} (or null)
   * @param name the volume name, unique within the SVM
   * @param encrypted {@code encryption.enabled}
   * @return the job; its {@link Job#resourceUuid()} is the new volume's uuid
   * @throws KmsException for an unknown SVM, a duplicate or empty name, or (encrypted) an SVM without an enabled
   *     Barbican configuration ({@link ErrorCode#NO_KMS_CONFIGURED})
   */
  public Job createVolume(String svmName, UUID svmUuid, String name, boolean encrypted) {
    return engine.createVolume(svmName, svmUuid, name, encrypted);
  }

  /**
   * Deletes a volume and destroys its VEK: the wrapped blob leaves the database and every node wipes its copy.
   *
   * @param uuid the volume's uuid
   * @return the job that wipes the VEK from the database and the nodes
   * @throws KmsException {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown volume
   */
  public Job deleteVolume(UUID uuid) {
    return engine.deleteVolume(uuid);
  }

  /**
   * Writes one block of a volume through {@code node}, encrypted with the volume's VEK as that node holds it.
   * This simulated data path lets a test write data before a rekey, switch, restore or restart and prove it reads
   * back afterwards.
   *
   * @param node the name of the node that encrypts the block
   * @param volume the volume's uuid
   * @param block the block number, zero or more
   * @param data the plaintext, at most 64 KiB
   * @throws KmsException {@link ErrorCode#VEK_NOT_LOADED} if the node is down or lacks the volume's key,
   *     {@link ErrorCode#ENTRY_NOT_FOUND} for an unknown volume, {@link ErrorCode#INVALID_FIELD} for a block over
   *     64 KiB or a negative block number, {@link ErrorCode#REMOTE_NODE} if another engine process hosts the node
   *     (with several processes, a local node loads the key of a volume another process created on first use)
   */
  public void writeBlock(String node, UUID volume, long block, byte[] data) {
    engine.writeBlock(node, volume, block, data);
  }

  /**
   * Reads one block of a volume through {@code node}, decrypting with that node's copy of the VEK.
   *
   * @param node the name of the node that decrypts the block
   * @param volume the volume's uuid
   * @param block the block number
   * @return the plaintext last written to that block
   * @throws KmsException as {@link #writeBlock}, {@link ErrorCode#ENTRY_NOT_FOUND} for a block never written, and
   *     {@link ErrorCode#DECRYPT_FAILED} if the node's key does not decrypt it
   */
  public byte[] readBlock(String node, UUID volume, long block) {
    return engine.readBlock(node, volume, block);
  }
}
