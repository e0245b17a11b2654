/** The engine's one error type, {@link dev.kmsengine.error.KmsException}, and ONTAP's error codes. */
package dev.kmsengine.error;
