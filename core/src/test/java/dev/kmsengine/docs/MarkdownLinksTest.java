package dev.kmsengine.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in every Markdown file of the project resolves: the file exists and, for {@code file#anchor}
 * or {@code #anchor}, the file has a heading with that anchor (GitHub's rule: lower case, punctuation dropped,
 * spaces to hyphens). A path to a Markdown file written in backticks ({@code `docs/x.md`}) must exist too, relative
 * to the file or to the project root, since readers follow those as well.
 */
class MarkdownLinksTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
  private static final Pattern CODE_PATH = Pattern.compile("`([\\w./-]+/[\\w.-]+\\.md)`");
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.+?)\\s*#*$");

  static List<Path> markdownFiles() throws IOException {
    try (Stream<Path> files = Files.walk(ROOT)) {
      return files.filter(p -> p.toString().endsWith(".md"))
          .filter(p -> {
            for (Path part : ROOT.relativize(p)) {
              String s = part.toString();
              if (s.equals("target") || s.equals("node_modules") || s.startsWith(".")) {
                return false;
              }
            }
            return true;
          })
          .sorted().toList();
    }
  }

  static Set<String> anchors(Path file) throws IOException {
    Set<String> out = new HashSet<>();
    boolean fenced = false;
    for (String line : Files.readAllLines(file)) {
      if (line.startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      Matcher m = HEADING.matcher(line);
      if (!fenced && m.matches()) {
        out.add(anchor(m.group(1)));
      }
    }
    return out;
  }

  static String anchor(String heading) {
    return heading.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
  }

  @Test
  void theProjectHasMarkdownFiles_inEveryModuleAndDocs() throws IOException {
    List<String> names = markdownFiles().stream().map(p -> ROOT.relativize(p).toString()).toList();
    for (String expected : List.of("README.md", "docs/embedding.md", "ontap-rest/README.md",
        "barbican-connector/README.md", "benchmarks/README.md")) {
      assertTrue(names.contains(expected), expected + " is among " + names);
    }
  }

  @Test
  void everyRelativeLinkAndAnchor_resolves() throws IOException {
    List<String> broken = new ArrayList<>();
    for (Path file : markdownFiles()) {
      String text = Files.readString(file);
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-zA-Z][a-zA-Z+.-]*:.*")) {
          continue;
        }
        int hash = target.indexOf('#');
        String path = hash < 0 ? target : target.substring(0, hash);
        Path resolved = path.isEmpty() ? file : file.getParent().resolve(path).normalize();
        String where = ROOT.relativize(file) + ": (" + target + ")";
        if (!resolved.startsWith(ROOT) || !Files.exists(resolved)) {
          broken.add(where + " names no file");
        } else if (hash >= 0 && !anchors(resolved).contains(target.substring(hash + 1))) {
          broken.add(where + " names no heading of " + ROOT.relativize(resolved));
        }
      }
      Matcher c = CODE_PATH.matcher(text);
      while (c.find()) {
        String path = c.group(1);
        if (!Files.exists(file.getParent().resolve(path)) && !Files.exists(ROOT.resolve(path))) {
          broken.add(ROOT.relativize(file) + ": `" + path + "` names no file");
        }
      }
    }
    assertEquals(List.of(), broken);
  }

  @Test
  void anchors_followGitHubsRule() {
    assertEquals("simulator-only-endpoints-apisimulator", anchor("Simulator-only endpoints (`/api/simulator`)"));
    assertEquals("job-states-and-retention-over-rest", anchor("Job states and retention, over REST"));
    assertEquals("blob-v1-store-format-1", anchor("Blob v1, store format 1"));
  }
}
