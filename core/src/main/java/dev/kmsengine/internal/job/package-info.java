/**
 * The job queue: {@link dev.kmsengine.internal.job.JobQueue} runs jobs one SVM at a time and keeps their
 * {@link dev.kmsengine.job.Job} snapshots for the retention period. Not exported; not API.
 */
package dev.kmsengine.internal.job;
