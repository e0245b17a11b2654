/**
 * Asynchronous operations as {@code /api/cluster/jobs} shows them: immutable {@link dev.kmsengine.job.Job}
 * snapshots. The engine runs jobs one SVM at a time; {@link dev.kmsengine.KmsEngine#awaitJob} waits for one.
 */
package dev.kmsengine.job;
