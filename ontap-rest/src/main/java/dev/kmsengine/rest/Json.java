package dev.kmsengine.rest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kmsengine.error.ErrorCode;
import java.util.Optional;

/** The JSON reader and writer of the API: strict on input, plain on output. */
final class Json {
  /** Request bodies are small; deep nesting or huge strings only serve to exhaust the server. */
  private static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
      .maxNestingDepth(16).maxStringLength(16 * 1024).maxNumberLength(32).build();

  static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(LIMITS).build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /** Jackson's pretty layout, written without Jackson's generator (see PrettyJson). */
  private static final PrettyJson PRETTY = new PrettyJson(MAPPER);

  private Json() {}

  static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /**
   * Parses a request body. The error names the position only: Jackson's own messages quote the input, which may
   * hold a secret.
   */
  static JsonNode parse(byte[] body) {
    try {
      JsonNode n = MAPPER.readTree(body);
      return n == null ? object() : n;
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new ApiException(400, ErrorCode.INVALID_FIELD, "The request body is not valid JSON" + where + ".", "");
    } catch (java.io.IOException e) {
      throw new ApiException(400, ErrorCode.INVALID_FIELD, "The request body could not be read.", "");
    }
  }

  static byte[] write(JsonNode n) {
    try {
      return PRETTY.write(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialise", e);
    }
  }

  /** The {@code code} of a per-node or summary report: {@code "0"} for success, otherwise the error's code. */
  static String code(Optional<ErrorCode> error) {
    return error.map(ErrorCode::wireCode).orElse("0");
  }

  /** A HAL link object {@code {"self": {"href": href}}}. */
  static ObjectNode selfLink(String href) {
    ObjectNode links = object();
    links.putObject("self").put("href", href);
    return links;
  }
}
