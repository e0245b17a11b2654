package dev.kmsengine.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** A block of Java statements taken from a Markdown file, compiled as the body of a {@code main} and run. */
final class JavaSnippet {
  private JavaSnippet() {}

  /** The text of the fenced block between {@code <!-- name:start -->} and {@code <!-- name:end -->} of a file. */
  static String block(Path markdown, String name, String language) throws Exception {
    String text = Files.readString(markdown);
    String start = "<!-- " + name + ":start -->";
    String end = "<!-- " + name + ":end -->";
    String block = text.substring(text.indexOf(start) + start.length(), text.indexOf(end));
    return block.substring(block.indexOf("```" + language) + 3 + language.length(), block.lastIndexOf("```"));
  }

  /**
   * Compiles {@code body} (with {@code imports}, {@code -Xlint:all -Werror}) as {@code main} of a class in
   * {@code dir}, runs it with {@code args} on this test's class path and returns the lines it printed.
   */
  static List<String> run(Path dir, String imports, String body, String... args) throws Exception {
    String source = imports + "\npublic class Snippet {\n  public static void main(String[] args) throws Exception {\n"
        + body + "\n  }\n}\n";
    Path file = dir.resolve("Snippet.java");
    Files.writeString(file, source);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc = javac.run(null, diagnostics, diagnostics, "-Xlint:all", "-Werror", "-d", dir.toString(),
        "-cp", System.getProperty("java.class.path"), file.toString());
    assertEquals(0, rc, () -> "the snippet does not compile:\n" + diagnostics + "\n" + source);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
        JavaSnippet.class.getClassLoader())) {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      Method main = loader.loadClass("Snippet").getMethod("main", String[].class);
      main.invoke(null, (Object) args);
    } finally {
      System.setOut(old);
    }
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }
}
