package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every row of docs/endpoints.md is served by the simulator, and every {@code KmsEngine} method it names exists. */
class EndpointMappingTest {
  private static final Pattern ROW =
      Pattern.compile("^\\| (GET|POST|PATCH|PUT|DELETE) \\| (/api/\\S+) \\| `([A-Za-z]+)(?:\\.([a-zA-Z]+))?` \\|",
          Pattern.MULTILINE);

  private record Row(String method, String path, String type, String member) {}

  private static List<Row> rows() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "endpoints.md"));
    List<Row> rows = new ArrayList<>();
    Matcher m = ROW.matcher(doc);
    while (m.find()) {
      rows.add(new Row(m.group(1), m.group(2), m.group(3), m.group(4)));
    }
    return rows;
  }

  @Test
  void everyEngineMethodOfTheTable_exists() throws Exception {
    List<Row> rows = rows();
    assertTrue(rows.size() >= 30, "the table parsed: " + rows.size() + " rows");
    for (Row r : rows) {
      if (r.type().equals("KmsEngine")) {
        assertTrue(Arrays.stream(KmsEngine.class.getMethods())
            .filter(m -> Modifier.isPublic(m.getModifiers())).map(Method::getName).anyMatch(r.member()::equals),
            "KmsEngine." + r.member());
      }
    }
  }

  @Test
  void everyEndpointOfTheTable_isServed() throws Exception {
    Path ready = Files.createTempDirectory("endpoints-").resolve("ready.json");
    try (Simulator s = Simulator.start(new String[] {"--port", "0", "--ready-file", ready.toString(), "--nodes", "2"},
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
      ApiClient api = new ApiClient(ApiClient.JSON.readTree(ready.toFile()));
      for (Row r : rows()) {
        String path = r.path().replace("{uuid}", UUID.randomUUID().toString()).replace("{name}", "node1")
            .replace("{n}", "0");
        boolean hasBody = r.method().equals("POST") || r.method().equals("PATCH") || r.method().equals("PUT");
        ApiClient.Reply reply = api.send(r.method(), path, hasBody ? "{}" : null);
        String where = r.method() + " " + r.path() + " -> " + reply.status() + " " + reply.raw().body();
        assertNotEquals(405, reply.status(), where);
        assertFalse(reply.raw().body().contains("API not found"), where);
        assertTrue(reply.status() < 500, where);
      }
      assertTrue(s.engine().barbican().barbicanConfigs().isEmpty(), "empty bodies created nothing");
    }
  }
}
