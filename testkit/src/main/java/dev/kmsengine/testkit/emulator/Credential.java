package dev.kmsengine.testkit.emulator;

import java.util.List;

/**
 * An application credential as Keystone holds it: who it acts for and with which roles.
 *
 * @param id the credential id
 * @param name its name
 * @param secret its secret
 * @param projectId the project its tokens are scoped to
 * @param roles the role names its tokens carry
 */
record Credential(String id, String name, String secret, String projectId, List<String> roles) {
  Credential {
    roles = List.copyOf(roles);
  }

  @Override
  public String toString() {
    return "Credential[" + id + " " + projectId + " " + roles + ", secret redacted]";
  }
}
