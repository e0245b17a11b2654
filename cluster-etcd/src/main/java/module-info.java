/**
 * A {@link dev.kmsengine.store.ClusterDatabase} on an etcd cluster: {@link dev.kmsengine.etcd.EtcdClusterDatabase}.
 */
@SuppressWarnings("requires-automatic")
module dev.kmsengine.etcd {
  requires transitive dev.kmsengine.core;
  requires java.logging;
  requires jetcd.common;
  requires jetcd.core;
  requires io.grpc;
  requires io.grpc.stub;

  exports dev.kmsengine.etcd;
}
