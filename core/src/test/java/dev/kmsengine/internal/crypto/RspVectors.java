package dev.kmsengine.internal.crypto;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the NIST CAVP response-file syntax ({@code .rsp}) of the vectors under {@code testvectors/}: {@code [Name =
 * value]} section headers, {@code Name = hex} fields, records separated by blank lines, a bare {@code FAIL} line for a
 * record that must not decrypt, and {@code #} comments.
 */
final class RspVectors {
  /** One test record with the section headers in force where it appears. */
  record Record(String where, Map<String, String> section, Map<String, String> fields, boolean fail) {
    byte[] bytes(String name) {
      String hex = fields.get(name);
      if (hex == null) {
        throw new IllegalStateException(where + ": no field " + name);
      }
      return HexFormat.of().parseHex(hex);
    }

    /** The section header in bits, e.g. {@code PTlen}. */
    int bits(String header) {
      return Integer.parseInt(section.get(header));
    }

    @Override
    public String toString() {
      return where + (fields.containsKey("Count") ? " (Count " + fields.get("Count") + ")" : "");
    }
  }

  private RspVectors() {}

  static List<Record> load(String resource) {
    InputStream in = RspVectors.class.getResourceAsStream("/testvectors/" + resource);
    if (in == null) {
      throw new IllegalStateException("missing test resource testvectors/" + resource);
    }
    List<Record> records = new ArrayList<>();
    Map<String, String> section = new LinkedHashMap<>();
    boolean sectionOpen = false;
    Map<String, String> fields = new LinkedHashMap<>();
    boolean fail = false;
    int start = 0;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
      int lineNo = 0;
      for (String line = r.readLine(); ; line = r.readLine()) {
        lineNo++;
        String t = line == null ? "" : line.trim();
        if (t.isEmpty() || t.startsWith("[")) {
          if (!fields.isEmpty()) {
            records.add(new Record(resource + ":" + start, Map.copyOf(section), Map.copyOf(fields), fail));
            fields = new LinkedHashMap<>();
            fail = false;
          }
          if (line == null) {
            break;
          }
          if (t.startsWith("[")) {
            if (!sectionOpen) {
              section = new LinkedHashMap<>();
              sectionOpen = true;
            }
            String inner = t.substring(1, t.length() - 1);
            int eq = inner.indexOf('=');
            section.put(inner.substring(0, eq).trim(), inner.substring(eq + 1).trim());
          }
          continue;
        }
        if (t.startsWith("#")) {
          continue;
        }
        sectionOpen = false;
        if (fields.isEmpty()) {
          start = lineNo;
        }
        if (t.equals("FAIL")) {
          fail = true;
          continue;
        }
        int eq = t.indexOf('=');
        if (eq < 0) {
          throw new IllegalStateException(resource + ":" + lineNo + ": unparsable line " + t);
        }
        fields.put(t.substring(0, eq).trim(), t.substring(eq + 1).trim());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return records;
  }
}
