package dev.kmsengine;

import dev.kmsengine.crypto.KeyMaterial;
import dev.kmsengine.crypto.WrappingKey;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A cluster node and its volatile key table: the unwrapped SVM-KEK of each SVM (with its generation) and the
 * unwrapped VEKs of the volumes. A reboot or going down wipes the table, as losing power wipes a real node's.
 */
final class Node {
  /** An SVM-KEK held by a node, with the generation it belongs to. */
  static final class HeldKek {
    final long generation;
    final KeyMaterial key;
    final WrappingKey wrapping;

    HeldKek(long generation, KeyMaterial key) {
      this.generation = generation;
      this.key = key;
      this.wrapping = WrappingKey.of(key);
    }

    void destroy() {
      key.destroy();
      wrapping.destroy();
    }
  }

  final UUID uuid;
  final String name;
  private volatile boolean up = true;
  /**
   * Counts wipes. An operation that fetched keys for this node before a wipe must not install them after it, or
   * a rebooted node would come back holding keys it never restored; it captures the epoch first and installs
   * only while the epoch is unchanged, under the node's lock.
   */
  private long epoch;
  private final Map<UUID, HeldKek> svmKeks = new ConcurrentHashMap<>();
  private final Map<UUID, byte[]> veks = new ConcurrentHashMap<>();

  Node(UUID uuid, String name) {
    this.uuid = uuid;
    this.name = name;
  }

  boolean isUp() {
    return up;
  }

  /** Takes the node down (wiping its keys) or brings it back up (with an empty table). */
  void setUp(boolean value) {
    if (!value) {
      wipe();
    }
    up = value;
  }

  /** A reboot: the node comes back at once with an empty key table. */
  void reboot() {
    wipe();
    up = true;
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

  private synchronized void wipe() {
    epoch++;
    for (UUID svm : svmKeks.keySet()) {
      removeSvmKek(svm);
    }
    for (UUID volume : veks.keySet()) {
      removeVek(volume);
    }
  }

  HeldKek svmKek(UUID svm) {
    return svmKeks.get(svm);
  }

  /** Installs a copy of {@code key} as the SVM's KEK, wiping any previous one. */
  void installSvmKek(UUID svm, long generation, KeyMaterial key) {
    HeldKek old = svmKeks.put(svm, new HeldKek(generation, key.duplicate()));
    if (old != null) {
      old.destroy();
    }
  }

  void removeSvmKek(UUID svm) {
    HeldKek old = svmKeks.remove(svm);
    if (old != null) {
      old.destroy();
    }
  }

  /** Installs a copy of the 32 VEK bytes. */
  void installVek(UUID volume, byte[] vek) {
    byte[] old = veks.put(volume, vek.clone());
    if (old != null) {
      Arrays.fill(old, (byte) 0);
    }
  }

  void removeVek(UUID volume) {
    byte[] old = veks.remove(volume);
    if (old != null) {
      Arrays.fill(old, (byte) 0);
    }
  }

  boolean hasVek(UUID volume) {
    return veks.containsKey(volume);
  }

  /** The live VEK bytes, for the engine's data path only; null when absent. */
  byte[] vek(UUID volume) {
    return veks.get(volume);
  }

  int svmKekCount() {
    return svmKeks.size();
  }

  int vekCount() {
    return veks.size();
  }

  @Override
  public String toString() {
    return "Node[" + name + (up ? ", up" : ", down") + "]";
  }
}
