package dev.kmsengine.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles and runs the Java example of README.md, so that the example can never rot. */
class ReadmeExampleTest {
  private static final String START = "<!-- readme-example:start -->";
  private static final String END = "<!-- readme-example:end -->";

  static String example() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    String block = readme.substring(readme.indexOf(START) + START.length(), readme.indexOf(END));
    return block.substring(block.indexOf("```java") + 7, block.lastIndexOf("```"));
  }

  @Test
  void readmeExample_compilesAndPrintsTheBlockReadBackAfterRestore(@TempDir Path dir) throws Exception {
    String source = """
        import dev.kmsengine.KmsEngine;
        import dev.kmsengine.cluster.ClusterSpec;
        import dev.kmsengine.kek.InMemoryKeyProvider;
        import dev.kmsengine.keystore.BarbicanConfigRequest;
        import dev.kmsengine.keystore.Secret;
        import java.time.Duration;
        import java.util.UUID;

        public class ReadmeExample {
          public static void main(String[] args) throws Exception {
        %s
          }
        }
        """.formatted(example());
    Path file = dir.resolve("ReadmeExample.java");
    Files.writeString(file, source);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc = javac.run(null, diagnostics, diagnostics, "-Xlint:all", "-Werror", "-d", dir.toString(),
        "-cp", System.getProperty("java.class.path"), file.toString());
    assertEquals(0, rc, () -> "README example does not compile:\n" + diagnostics);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      Method main = loader.loadClass("ReadmeExample").getMethod("main", String[].class);
      main.invoke(null, (Object) new String[0]);
    } finally {
      System.setOut(old);
    }
    assertEquals(List.of("hello true"), out.toString(StandardCharsets.UTF_8).lines().toList());
  }

  @Test
  void readmeExample_isFifteenLinesOfCodePlusTheClosingBrace() throws Exception {
    long lines = example().lines().filter(l -> !l.isBlank()).count();
    assertTrue(lines <= 16, "the README example has " + lines + " lines");
  }
}
