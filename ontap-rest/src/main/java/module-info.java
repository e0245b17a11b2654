/**
 * The ONTAP REST surface over a {@link dev.kmsengine.KmsEngine} ({@link dev.kmsengine.rest.OntapRestServer}) and
 * the runnable simulator. ONTAP's query conventions ({@code dev.kmsengine.rest.query}) stay inside.
 */
module dev.kmsengine.rest {
  requires transitive dev.kmsengine.core;
  requires dev.kmsengine.barbican;
  requires dev.kmsengine.etcd;
  requires transitive dev.kmsengine.testkit;
  requires com.fasterxml.jackson.databind;
  requires org.eclipse.jetty.server;
  requires org.eclipse.jetty.http;
  requires org.eclipse.jetty.io;
  requires org.eclipse.jetty.util;
  requires java.logging;
  requires java.net.http;

  exports dev.kmsengine.rest;
  exports dev.kmsengine.simulator;
}
