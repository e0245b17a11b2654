package dev.kmsengine.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Compiles the user's JUnit test shown in the main README, this module's README and kms-testkit's README (one
 * block, the same in all three), and runs it with the JUnit launcher, so the example can never rot. It lives here
 * and not in kms-testkit because the example tests the connector, which kms-testkit must not depend on.
 */
class TestkitReadmeExampleTest {
  private static final String START = "<!-- testkit-example:start -->";
  private static final String END = "<!-- testkit-example:end -->";
  private static final List<Path> READMES =
      List.of(Path.of("..", "testkit", "README.md"), Path.of("..", "README.md"), Path.of("README.md"));

  static String example(Path readme) throws Exception {
    String text = Files.readString(readme);
    assertTrue(text.contains(START) && text.contains(END), () -> readme + " has no testkit example block");
    String block = text.substring(text.indexOf(START) + START.length(), text.indexOf(END));
    return block.substring(block.indexOf("```java") + 7, block.lastIndexOf("```"));
  }

  @Test
  void theExampleIsTheSameInEveryReadme() throws Exception {
    String first = example(READMES.get(0));
    for (Path readme : READMES) {
      assertEquals(first, example(readme), () -> readme + " differs from " + READMES.get(0));
    }
  }

  @Test
  void theExampleCompiles_andBothOfItsTestsPass(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("MyKeyFetchTest.java");
    Files.writeString(file, example(READMES.get(0)));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc = javac.run(null, diagnostics, diagnostics, "-Xlint:all", "-Werror", "-d", dir.toString(),
        "-cp", System.getProperty("java.class.path"), file.toString());
    assertEquals(0, rc, () -> "the README's test does not compile:\n" + diagnostics);

    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      Class<?> test = loader.loadClass("MyKeyFetchTest");
      Launcher launcher = LauncherFactory.create();
      launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(DiscoverySelectors.selectClass(test))
          .build(), listener);
    }
    TestExecutionSummary summary = listener.getSummary();
    ByteArrayOutputStream failures = new ByteArrayOutputStream();
    summary.printFailuresTo(new PrintWriter(failures, true), 20);
    assertEquals(0, summary.getTotalFailureCount(), failures::toString);
    assertEquals(2, summary.getTestsSucceededCount());
  }
}
