/**
 * AES-256-GCM key wrapping: {@link dev.kmsengine.internal.crypto.WrappingKey} seals 256-bit keys into the frozen
 * {@link dev.kmsengine.internal.crypto.WrappedKeyFormat} blob, bound by
 * {@link dev.kmsengine.internal.crypto.KeyBinding} associated data to the SVM, volume or configuration and SVM-KEK
 * generation they belong to, with the engine's own GCM over the JDK's AES. Not exported; not API.
 */
package dev.kmsengine.internal.crypto;
