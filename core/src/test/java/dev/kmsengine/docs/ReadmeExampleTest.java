package dev.kmsengine.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles and runs the Java example of README.md with the imports that docs/embedding.md lists, so that neither
 * can rot.
 */
class ReadmeExampleTest {
  static String example() throws Exception {
    return JavaSnippet.block(Path.of("..", "README.md"), "readme-example", "java");
  }

  static String imports() throws Exception {
    return JavaSnippet.block(Path.of("..", "docs", "embedding.md"), "embedding-imports", "java");
  }

  @Test
  void readmeExample_compilesAndPrintsTheBlockReadBackAfterRestore(@TempDir Path dir) throws Exception {
    assertEquals(List.of("hello true"), JavaSnippet.run(dir, imports(), example()));
  }

  @Test
  void readmeExample_isFifteenLinesOfCodePlusTheClosingBrace() throws Exception {
    long lines = example().lines().filter(l -> !l.isBlank()).count();
    assertTrue(lines <= 16, "the README example has " + lines + " lines");
  }
}
