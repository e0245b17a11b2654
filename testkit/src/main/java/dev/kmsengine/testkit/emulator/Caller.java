package dev.kmsengine.testkit.emulator;

import java.util.List;

/**
 * Who a Barbican request acts for, and what Barbican's legacy policy (the one the real servers of the integration
 * suite run) lets them do: read with {@code observer}, {@code creator} or {@code admin}; create with
 * {@code creator} or {@code admin}; delete a secret with {@code admin}, or {@code creator} for one's own; delete an
 * order with {@code admin}. Every
 * rule also needs the resource to belong to the token's project.
 *
 * @param userId the token's user
 * @param projectId the token's project
 * @param roles the token's role names
 */
record Caller(String userId, String projectId, List<String> roles) {
  Caller {
    roles = List.copyOf(roles);
  }

  boolean canRead() {
    return roles.contains("admin") || roles.contains("observer") || roles.contains("creator");
  }

  boolean canCreate() {
    return roles.contains("admin") || roles.contains("creator");
  }

  boolean canRead(String ownerProject) {
    return canRead() && projectId.equals(ownerProject);
  }

  /** Deleting an order: {@code admin} only. */
  boolean canAdminister(String ownerProject) {
    return projectId.equals(ownerProject) && roles.contains("admin");
  }

  boolean canDelete(String ownerProject, String creatorId) {
    return projectId.equals(ownerProject)
        && (roles.contains("admin") || (roles.contains("creator") && userId.equals(creatorId)));
  }
}
