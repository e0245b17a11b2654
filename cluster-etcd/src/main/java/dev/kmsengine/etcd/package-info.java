/**
 * The cluster database on etcd: {@link dev.kmsengine.etcd.EtcdClusterDatabase}, which keeps the wrapped keys in a
 * replicated etcd cluster instead of one local file. The layout and the commit protocol are described in
 * {@code docs/etcd-store.md}.
 */
package dev.kmsengine.etcd;
