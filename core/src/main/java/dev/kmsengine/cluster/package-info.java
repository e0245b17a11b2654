/** The shape of a simulated cluster and read-only views of its nodes, SVMs and volumes. */
package dev.kmsengine.cluster;
