/**
 * For tests and simulators, never production: the Keystone + Barbican emulator, its JUnit 5 extension and the
 * private certificate authority for loopback servers.
 *
 * <p>JUnit is optional ({@code requires static}): only a test that uses the extension has it, and brings it
 * itself, so the extension's JUnit types are not re-exported (the "exports" lint is off for that reason).
 */
module dev.kmsengine.testkit {
  requires transitive dev.kmsengine.core;
  requires com.fasterxml.jackson.databind;
  requires jdk.httpserver;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.pkix;
  requires static org.junit.jupiter.api;

  exports dev.kmsengine.testkit.emulator;
  exports dev.kmsengine.testkit.junit;
  exports dev.kmsengine.testkit.tls;
}
