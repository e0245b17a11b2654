package dev.kmsengine.cluster;

import java.util.UUID;

/**
 * An SVM as {@code /api/svm/svms} shows it.
 *
 * <p>Immutable; thread-safe.
 *
 * @param uuid the SVM uuid
 * @param name the SVM name
 * @param admin whether this is the cluster's admin SVM
 */
public record SvmInfo(UUID uuid, String name, boolean admin) {}
