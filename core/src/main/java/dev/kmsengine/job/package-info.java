/**
 * Asynchronous operations: {@link dev.kmsengine.internal.job.JobQueue} runs them one SVM at a time and keeps immutable
 * {@link dev.kmsengine.job.Job} snapshots for inspection, as {@code /api/cluster/jobs} shows them.
 */
package dev.kmsengine.job;
