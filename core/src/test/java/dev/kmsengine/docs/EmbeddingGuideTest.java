package dev.kmsengine.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the durable-store example of docs/embedding.md: what one engine wrote to an {@code MvStoreClusterDatabase}
 * a second engine on the same file reads back after {@code restoreAll()}.
 */
class EmbeddingGuideTest {
  private static final Path GUIDE = Path.of("..", "docs", "embedding.md");
  /** The README's imports and the three the guide says the durable example adds. */
  private static final String EXTRA_IMPORTS = """
      import dev.kmsengine.job.Job;
      import dev.kmsengine.store.MvStoreClusterDatabase;
      import java.nio.file.Path;
      """;

  @Test
  void durableExample_readsTheBlockBackInASecondEngineOnTheSameFile(@TempDir Path tmp) throws Exception {
    String guide = Files.readString(GUIDE);
    for (String line : EXTRA_IMPORTS.lines().toList()) {
      String type = line.substring("import ".length(), line.length() - 1);
      assertTrue(guide.contains("`" + type + "`"), "the guide names the import " + type);
    }
    Path classes = Files.createDirectory(tmp.resolve("classes"));
    Path data = Files.createDirectory(tmp.resolve("data"));
    String body = "Path dir = Path.of(args[0]);\n" + JavaSnippet.block(GUIDE, "embedding-durable", "java");
    List<String> printed = JavaSnippet.run(classes, ReadmeExampleTest.imports() + EXTRA_IMPORTS, body,
        data.toString());
    assertEquals(List.of("kept"), printed);
    assertTrue(Files.exists(data.resolve("cluster.mv")), "the database file the guide names");
    assertTrue(Files.exists(data.resolve("cluster.mv.commit")), "the commit marker the guide names");
  }
}
