package dev.kmsengine.internal.engine;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.internal.crypto.WrappingKey;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A cluster node and its volatile key table: the unwrapped SVM-KEK of each SVM (with its generation) and the
 * unwrapped VEKs of the volumes. A reboot or going down wipes the table, as losing power wipes a real node's.
 *
 * <h2>Key lifetime</h2>
 * The table's key arrays never leave the node: every read hands out a copy made under the node's lock, and every
 * wipe zeroises under that same lock. Why: a VEK handed out live and zero-filled by the next restore (which
 * reinstalls every key) encrypted acknowledged blocks under an all-zero key. A caller owns its copy and
 * zeroises it when done; the table's own arrays are zeroised only when they leave the table.
 *
 * <h2>State checks</h2>
 * Every check of the node's state and the install that depends on it happen in one call under the node's lock,
 * against a wipe epoch the operation captured before it fetched or derived the key: a node rebooted in between
 * never comes back holding a key fetched for it before the reboot.
 *
 * <p>Thread-safe.
 */
public final class Node {
  /** A copy of an SVM-KEK held by a node, with the generation it belongs to; its owner closes it. */
  public static final class HeldKek implements AutoCloseable {
    /** The SVM-KEK generation. */
    public final long generation;
    /** The SVM-KEK itself, owned by this copy. */
    public final KeyMaterial key;
    /** A wrapping key over {@link #key}. */
    public final WrappingKey wrapping;

    HeldKek(long generation, KeyMaterial key) {
      this.generation = generation;
      this.key = key;
      this.wrapping = WrappingKey.of(key);
    }

    @Override
    public void close() {
      key.destroy();
      wrapping.destroy();
    }
  }

  /** The table's own SVM-KEK: generation and key, never handed out. */
  private record Kek(long generation, KeyMaterial key) {}

  final UUID uuid;
  /** The node name. */
  public final String name;
  private volatile boolean up = true;
  /** Counts wipes; see the class note. Guarded by this. */
  private long epoch;
  /** Guarded by this. */
  private final Map<UUID, Kek> svmKeks = new HashMap<>();
  /** Guarded by this. */
  private final VekTable veks = new VekTable();
  /** Why the last install of a new SVM-KEK generation announced by another process failed, per SVM. Guarded by this. */
  private final Map<UUID, String> installFailures = new HashMap<>();
  /** Told (under the node's lock, so it must not block) whenever the SVM-KEKs or the up state change. */
  private volatile Runnable onChange = () -> { };

  Node(UUID uuid, String name) {
    this.uuid = uuid;
    this.name = name;
  }

  /** Sets what is told of every change of the node's SVM-KEKs or up state; see {@link NodeStatusBoard}. */
  void onChange(Runnable listener) {
    onChange = listener;
  }

  boolean isUp() {
    return up;
  }

  /** Takes the node down (wiping its keys) or brings it back up (with an empty table). */
  synchronized void setUp(boolean value) {
    if (!value) {
      wipe();
    }
    up = value;
    onChange.run();
  }

  /** A reboot: the node comes back at once with an empty key table. */
  public synchronized void reboot() {
    wipe();
    up = true;
    onChange.run();
  }

  /** The current wipe epoch, to pass to the {@code ...IfSameEpoch} installs. */
  synchronized long epoch() {
    return epoch;
  }

  /** Installs a copy of the SVM-KEK unless the node was wiped since {@code seen}; returns whether it did. */
  synchronized boolean installSvmKekIfSameEpoch(long seen, UUID svm, long generation, KeyMaterial key) {
    if (seen != epoch || !up) {
      return false;
    }
    installSvmKek(svm, generation, key);
    return true;
  }

  /** Installs a copy of the VEK unless the node was wiped since {@code seen}; returns whether it did. */
  synchronized boolean installVekIfSameEpoch(long seen, UUID volume, byte[] vek) {
    if (seen != epoch || !up) {
      return false;
    }
    installVek(volume, vek);
    return true;
  }

  /**
   * Installs a copy of a new volume's VEK if the node was not wiped since {@code seen} and holds the SVM-KEK of
   * {@code generation}, under which the VEK was wrapped; returns whether it did.
   */
  synchronized boolean installVekIfHolding(long seen, UUID svm, long generation, UUID volume, byte[] vek) {
    if (seen != epoch || !up || svmKekGeneration(svm) != generation) {
      return false;
    }
    installVek(volume, vek);
    return true;
  }

  /**
   * Swaps the SVM-KEK of generation {@code from} for {@code key} of generation {@code to}, if the node still holds
   * generation {@code from} (a wiped node holds nothing, so it gets nothing); returns whether it did.
   */
  synchronized boolean replaceSvmKekIfHolding(UUID svm, long from, long to, KeyMaterial key) {
    if (!up || svmKekGeneration(svm) != from) {
      return false;
    }
    installSvmKek(svm, to, key);
    return true;
  }

  /**
   * Installs {@code key} as generation {@code to} of the SVM's KEK if the node was not wiped since {@code seen},
   * is up, and holds generation {@code from} (0: holds none); returns whether it did. A generation that another
   * process committed arrives this way.
   */
  synchronized boolean upgradeSvmKekIfSameEpoch(long seen, UUID svm, long from, long to, KeyMaterial key) {
    if (seen != epoch || !up || svmKekGeneration(svm) != from) {
      return false;
    }
    installSvmKek(svm, to, key);
    return true;
  }

  /** Records why installing a new generation failed; cleared by the next install of the SVM's KEK or a wipe. */
  synchronized void installFailed(UUID svm, String reason) {
    installFailures.put(svm, reason);
  }

  /** Why the last install of a generation of the SVM's KEK failed, or null. */
  synchronized String installFailure(UUID svm) {
    return installFailures.get(svm);
  }

  private void wipe() {
    installFailures.clear();
    epoch++;
    for (Kek k : svmKeks.values()) {
      k.key().destroy();
    }
    svmKeks.clear();
    veks.wipe();
  }

  /** A copy of the SVM-KEK and its generation, which the caller closes; null when absent. */
  public synchronized HeldKek svmKek(UUID svm) {
    Kek k = svmKeks.get(svm);
    return k == null ? null : new HeldKek(k.generation(), k.key().duplicate());
  }

  /** A copy of the SVM-KEK of {@code generation}, which the caller destroys; null unless up and holding it. */
  synchronized KeyMaterial svmKekCopy(UUID svm, long generation) {
    Kek k = svmKeks.get(svm);
    return up && k != null && k.generation() == generation ? k.key().duplicate() : null;
  }

  /** The generation of the SVM-KEK held for {@code svm}, 0 when none. */
  synchronized long svmKekGeneration(UUID svm) {
    Kek k = svmKeks.get(svm);
    return k == null ? 0 : k.generation();
  }

  /** Installs a copy of {@code key} as the SVM's KEK, wiping any previous one. For tests and set-up only. */
  synchronized void installSvmKek(UUID svm, long generation, KeyMaterial key) {
    Kek old = svmKeks.put(svm, new Kek(generation, key.duplicate()));
    installFailures.remove(svm);
    if (old != null) {
      old.key().destroy();
    }
    onChange.run();
  }

  synchronized void removeSvmKek(UUID svm) {
    Kek old = svmKeks.remove(svm);
    installFailures.remove(svm);
    if (old != null) {
      old.key().destroy();
      onChange.run();
    }
  }

  /** Installs a copy of the 32 VEK bytes. For tests and set-up only; operations use the checked installs. */
  public synchronized void installVek(UUID volume, byte[] vek) {
    veks.put(volume, vek);
  }

  synchronized void removeVek(UUID volume) {
    veks.remove(volume);
  }

  synchronized boolean hasVek(UUID volume) {
    return veks.contains(volume);
  }

  /** A copy of the VEK bytes, which the caller zeroises when done; null when absent. */
  public synchronized byte[] vek(UUID volume) {
    return veks.copy(volume);
  }

  synchronized int svmKekCount() {
    return svmKeks.size();
  }

  /** The generation of every SVM-KEK the node holds, by SVM. */
  synchronized Map<UUID, Long> svmKekGenerations() {
    Map<UUID, Long> out = new HashMap<>();
    svmKeks.forEach((svm, k) -> out.put(svm, k.generation()));
    return out;
  }

  public synchronized int vekCount() {
    return veks.size();
  }

  @Override
  public String toString() {
    return "Node[" + name + (up ? ", up" : ", down") + "]";
  }
}
