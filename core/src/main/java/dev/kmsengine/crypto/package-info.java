/**
 * Key material: {@link dev.kmsengine.crypto.KeyMaterial}, 256 bits that zeroise on destroy and never print
 * themselves, and its {@link dev.kmsengine.crypto.KeyMaterial.KeyAccess} token, which every read of raw bytes must
 * present. The AES-256-GCM wrapping that uses them is internal to the engine.
 */
package dev.kmsengine.crypto;
