package dev.kmsengine.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The simulator's options and its docs agree: every option {@code --help} lists has a row in the option table of
 * {@code ontap-rest/README.md}, every row there is a real option, and every {@code --option} any Markdown file of
 * the project names is one {@code --help} lists, unless it belongs to another tool named in {@link #OTHER_TOOLS}.
 */
class SimulatorOptionsDocsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern OPTION = Pattern.compile("(?<![\\w-])--[a-z][a-z0-9-]*");

  /** Options the docs name that are not the simulator's, with the tool they belong to. */
  private static final Map<String, String> OTHER_TOOLS = Map.ofEntries(
      Map.entry("--cacert", "curl"),
      Map.entry("--fail-with-body", "curl"),
      Map.entry("--proxy", "curl"),
      Map.entry("--proxy-cacert", "curl"),
      Map.entry("--resolve", "curl"),
      Map.entry("--short", "benchmarks/run-all.sh"),
      Map.entry("--full", "benchmarks/run-all.sh"),
      Map.entry("--charts", "benchmarks/summarize.py"),
      Map.entry("--enable-native-access", "java"),
      Map.entry("--no-install-recommends", "apt-get"),
      Map.entry("--worker-class", "gunicorn"),
      Map.entry("--workers", "gunicorn"),
      Map.entry("--pid", "gunicorn"),
      Map.entry("--config-file", "oslo.config"),
      Map.entry("--keystone-user", "keystone-manage"),
      Map.entry("--keystone-group", "keystone-manage"),
      Map.entry("--endpoints", "etcdctl"),
      Map.entry("--prefix", "etcdctl"),
      Map.entry("--keys-only", "etcdctl"));

  private static Set<String> options(String text) {
    Set<String> out = new TreeSet<>();
    Matcher m = OPTION.matcher(text);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /** What {@code java -jar kms-engine-simulator.jar --help} prints. */
  static String help() {
    UsageException e = assertThrows(UsageException.class, () -> SimulatorOptions.parse(new String[] {"--help"}));
    assertTrue(e.getMessage().startsWith("Usage:"), e::getMessage);
    return e.getMessage();
  }

  /** The options in the first column of the README's option table (rows starting with {@code | `--}). */
  static Set<String> readmeTable() throws IOException {
    Set<String> out = new TreeSet<>();
    for (String line : Files.readAllLines(ROOT.resolve("ontap-rest/README.md"))) {
      if (line.startsWith("| `--")) {
        out.addAll(options(line.substring(0, line.indexOf('|', 1))));
      }
    }
    return out;
  }

  @Test
  void everyOptionOfHelp_hasARowInTheReadmeOptionTable() throws IOException {
    Set<String> missing = new TreeSet<>(options(help()));
    missing.removeAll(readmeTable());
    assertEquals(Set.of(), missing, "add a row to the option table of ontap-rest/README.md for each");
  }

  @Test
  void everyRowOfTheReadmeOptionTable_isAnOptionOfHelp() throws IOException {
    Set<String> table = readmeTable();
    assertTrue(table.contains("--data-dir"), "the option table is found: " + table);
    Set<String> stale = new TreeSet<>(table);
    stale.removeAll(options(help()));
    assertEquals(Set.of(), stale, "the README's option table lists options --help does not");
  }

  @Test
  void everyOptionTheDocsName_isOneOfHelp_orAnotherToolsNamedHere() throws IOException {
    Set<String> known = options(help());
    List<String> unknown = new ArrayList<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      for (Path md : files.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
        Path rel = ROOT.relativize(md);
        if (rel.toString().contains("/target/") || rel.startsWith("target") || rel.toString().startsWith(".")) {
          continue;
        }
        for (String o : options(Files.readString(md))) {
          if (!known.contains(o) && !OTHER_TOOLS.containsKey(o)) {
            unknown.add(rel + ": " + o);
          }
        }
      }
    }
    assertEquals(List.of(), unknown, "not a simulator option; if it is another tool's, add it to OTHER_TOOLS");
  }
}
