/**
 * The {@link dev.kmsengine.kek.TopLevelKeyProvider} that fetches the top-level KEK from Barbican:
 * {@link dev.kmsengine.barbican.BarbicanKeyProvider}, with the Keystone token cache providers may share. The
 * single-flight cache stays inside; the transport's settings and per-node network and the PEM reader are
 * exported for the REST module's simulator.
 */
@SuppressWarnings("requires-automatic")
module dev.kmsengine.barbican {
  requires transitive dev.kmsengine.core;
  requires java.logging;
  requires com.fasterxml.jackson.databind;
  requires com.github.benmanes.caffeine;
  requires org.apache.httpcomponents.client5.httpclient5;
  requires org.apache.httpcomponents.core5.httpcore5;

  exports dev.kmsengine.barbican;
  exports dev.kmsengine.keystone;
  exports dev.kmsengine.tls;
  exports dev.kmsengine.transport;
}
