/**
 * Helpers of the error model that are not API: {@link dev.kmsengine.internal.error.CauseChain} for log lines.
 * Exported to the REST module only.
 */
package dev.kmsengine.internal.error;
