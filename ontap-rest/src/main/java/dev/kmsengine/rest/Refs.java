package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/** Nested object references, each with its own HAL self link, as ONTAP embeds them in records. */
final class Refs {
  private Refs() {}

  static void svm(ObjectNode record, UUID uuid, String name) {
    if (uuid == null) {
      return;
    }
    ObjectNode svm = record.putObject("svm");
    svm.put("uuid", uuid.toString());
    svm.put("name", name);
    svm.set("_links", Json.selfLink("/api/svm/svms/" + uuid));
  }

  static void configuration(ObjectNode record, UUID uuid, String name) {
    ObjectNode c = record.putObject("configuration");
    c.put("name", name);
    c.put("uuid", uuid.toString());
    c.set("_links", Json.selfLink("/api/security/key-stores/" + uuid));
  }
}
