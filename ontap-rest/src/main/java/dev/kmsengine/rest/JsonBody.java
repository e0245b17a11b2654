package dev.kmsengine.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.error.ErrorCode;
import dev.kmsengine.error.KmsException;
import dev.kmsengine.keystore.Secret;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A request body read field by field with its type checked. Every field read is remembered, so that
 * {@link #requireNoOthers()} can reject whatever the operation does not take (262179), as ONTAP does. Messages
 * name fields, never values: a value may be a secret.
 */
final class JsonBody {
  private final ObjectNode root;
  private final Set<String> read = new HashSet<>();

  private JsonBody(ObjectNode root) {
    this.root = root;
  }

  static JsonBody of(JsonNode n) {
    if (!(n instanceof ObjectNode o)) {
      throw new ApiException(400, ErrorCode.INVALID_FIELD, "The request body must be a JSON object.", "");
    }
    return new JsonBody(o);
  }

  private JsonNode get(String path) {
    read.add(path);
    JsonNode n = root;
    for (String part : path.split("\\.")) {
      if (n == null) {
        return null;
      }
      if (!n.isObject()) {
        throw wrongType(path.substring(0, path.lastIndexOf('.')), "an object");
      }
      n = n.get(part);
    }
    return n;
  }

  String string(String path) {
    JsonNode n = get(path);
    if (n == null) {
      return null;
    }
    if (!n.isTextual()) {
      throw wrongType(path, "a string");
    }
    return n.textValue();
  }

  Secret secret(String path) {
    String s = string(path);
    return s == null ? null : Secret.of(s);
  }

  Integer integer(String path) {
    JsonNode n = get(path);
    if (n == null) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw wrongType(path, "an integer");
    }
    return n.intValue();
  }

  Boolean bool(String path) {
    JsonNode n = get(path);
    if (n == null) {
      return null;
    }
    if (!n.isBoolean()) {
      throw wrongType(path, "true or false");
    }
    return n.booleanValue();
  }

  List<String> strings(String path) {
    JsonNode n = get(path);
    if (n == null) {
      return null;
    }
    if (!n.isArray()) {
      throw wrongType(path, "an array of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw wrongType(path, "an array of strings");
      }
      out.add(e.textValue());
    }
    return out;
  }

  UUID uuid(String path) {
    String s = string(path);
    if (s == null) {
      return null;
    }
    try {
      return UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      throw new KmsException(ErrorCode.INVALID_FIELD, path, "\"" + path + "\" must be a UUID.");
    }
  }

  private static KmsException wrongType(String path, String expected) {
    return new KmsException(ErrorCode.INVALID_FIELD, path, "\"" + path + "\" must be " + expected + ".");
  }

  /**
   * Rejects any field that was not read. HAL {@code _links} are ignored, since clients echo records back.
   *
   * @throws KmsException 262179 naming the first unexpected field
   */
  void requireNoOthers() {
    List<String> leaves = new ArrayList<>();
    collect(root, "", leaves);
    for (String leaf : leaves) {
      if (!read.contains(leaf)) {
        throw new KmsException(ErrorCode.UNEXPECTED_ARGUMENT, leaf,
            "Unexpected argument \"" + leaf + "\"; this operation does not take this field.");
      }
    }
  }

  private void collect(ObjectNode node, String prefix, List<String> out) {
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String path = prefix + e.getKey();
      if (e.getKey().equals("_links")) {
        continue;
      }
      if (e.getValue() instanceof ObjectNode child && !read.contains(path)) {
        collect(child, path + ".", out);
        // An empty object is unexpected only where the operation takes no fields under it.
        if (child.isEmpty() && read.stream().noneMatch(r -> r.startsWith(path + "."))) {
          out.add(path);
        }
      } else {
        out.add(path);
      }
    }
  }
}
