/**
 * Barbican KMS configurations and key stores as the ONTAP REST API shows them, with the connection settings a
 * provider needs ({@link dev.kmsengine.kek.TopLevelKeyProvider.BarbicanConnection}) and the redacted
 * {@link dev.kmsengine.keystore.Secret} type for fields that are never returned or logged.
 */
package dev.kmsengine.keystore;
