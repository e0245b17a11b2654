/**
 * The seam for running one cluster across several engine processes:
 * {@link dev.kmsengine.internal.coordination.ClusterCoordination} (SVM locks, node liveness, watches) with its
 * single-process implementation. Exported to the etcd module only, which implements it on etcd; it becomes API once
 * the engine and the simulator use it (multi-process mode, see {@code docs/etcd-store.md}).
 */
package dev.kmsengine.internal.coordination;
