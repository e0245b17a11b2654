package dev.kmsengine.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kmsengine.error.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/error-codes.md's status table is the code's table: same codes, same statuses, every {@link ErrorCode} listed. */
class ErrorStatusReadmeTest {
  private static final Pattern ROW = Pattern.compile("^\\| (\\d+) \\| `([A-Z_]+)` \\| (\\d{3}) \\|", Pattern.MULTILINE);

  @Test
  void docsTable_listsEveryErrorCodeWithTheStatusTheServerUses() throws Exception {
    String readme = Files.readString(Path.of("..", "docs", "error-codes.md"));
    Map<ErrorCode, Integer> documented = new EnumMap<>(ErrorCode.class);
    Matcher m = ROW.matcher(readme);
    while (m.find()) {
      ErrorCode c = ErrorCode.valueOf(m.group(2));
      assertEquals(c.code(), Integer.parseInt(m.group(1)), c::name);
      documented.put(c, Integer.parseInt(m.group(3)));
    }
    Map<ErrorCode, Integer> actual = new EnumMap<>(ErrorCode.class);
    for (ErrorCode c : ErrorCode.values()) {
      actual.put(c, ErrorStatus.of(c));
    }
    assertEquals(actual, documented);
  }
}
