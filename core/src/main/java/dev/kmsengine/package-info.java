/**
 * The engine: {@link dev.kmsengine.KmsEngine} runs the Barbican KMS key hierarchy of one simulated ONTAP cluster,
 * with its views {@link dev.kmsengine.BarbicanKms} (configurations, keystores, rekey, restore) and
 * {@link dev.kmsengine.Cluster} (nodes, SVMs, volumes, the data path). Start there; its class comment explains the
 * hierarchy, the wrap format and how operations run as jobs.
 */
package dev.kmsengine;
