/**
 * The engine: {@link dev.kmsengine.KmsEngine} runs the Barbican KMS key hierarchy of one simulated ONTAP cluster.
 * Start there; its class comment explains the hierarchy, the wrap format and how operations run as jobs.
 */
package dev.kmsengine;
