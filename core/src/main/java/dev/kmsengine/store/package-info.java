/**
 * The cluster database: {@link dev.kmsengine.store.ClusterDatabase} stores wrapped keys and records in buckets with
 * atomic multi-key commits; {@link dev.kmsengine.store.InMemoryClusterDatabase} keeps them in the heap.
 */
package dev.kmsengine.store;
