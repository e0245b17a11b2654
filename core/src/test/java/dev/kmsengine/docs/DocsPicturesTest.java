package dev.kmsengine.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed pictures in docs/ are what {@code docs/render.sh} makes from their Graphviz sources, and README
 * links them. Needs {@code dot}; skipped without it, except in CI ({@code KMS_CI=1}), which installs it.
 */
class DocsPicturesTest {
  private static final Path DOCS = Path.of("..", "docs");

  @Test
  void everyPicture_isCommittedAndLinkedFromTheReadmeOrDocs() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    try (Stream<Path> sources = Files.list(DOCS)) {
      for (Path dot : sources.filter(p -> p.toString().endsWith(".dot")).toList()) {
        String base = dot.getFileName().toString().replace(".dot", "");
        assertTrue(Files.exists(DOCS.resolve(base + ".svg")), base + ".svg is committed");
        assertTrue(Files.exists(DOCS.resolve(base + ".png")), base + ".png is committed");
        assertTrue(readme.contains("docs/" + base + ".png") || readme.contains("docs/" + base + ".svg"),
            "README links " + base);
      }
    }
  }

  @Test
  void committedSvg_matchesItsRegeneratedSource(@TempDir Path tmp) throws Exception {
    boolean ci = "1".equals(System.getenv("KMS_CI"));
    boolean haveDot = Files.isExecutable(Path.of("/usr/bin/dot"));
    assumeTrue(haveDot || ci, "graphviz is not installed");
    assertTrue(haveDot, "CI must install graphviz");
    try (Stream<Path> sources = Files.list(DOCS)) {
      for (Path dot : sources.filter(p -> p.toString().endsWith(".dot")).toList()) {
        Path out = tmp.resolve("out.svg");
        Process p = new ProcessBuilder(List.of("/usr/bin/dot", "-Tsvg", dot.toString(), "-o", out.toString()))
            .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        String committed = Files.readString(DOCS.resolve(dot.getFileName().toString().replace(".dot", ".svg")));
        assertEquals(committed, Files.readString(out), dot + " changed: run bash docs/render.sh and commit");
      }
    }
  }
}
