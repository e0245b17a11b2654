package dev.kmsengine.internal.error;

import dev.kmsengine.error.KmsException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * One log line for a failure and everything that caused it: {@code "StoreException: Commit to ... failed <-
 * MVStoreException: ... <- IOException: No space left on device"}. Why: a log that names only the outer
 * exception's class ("unexpected StoreException") hid a full disk for as long as it lasted.
 *
 * <p>Only messages and class names are used, never stack frames or values; the engine's own exceptions keep
 * secrets out of their messages ({@link KmsException}), so the line is as safe as they are. Stateless and
 * thread-safe.
 */
public final class CauseChain {
  /** Deep enough for any chain the engine builds; a cycle or a pathological chain ends here. */
  private static final int MAX_DEPTH = 10;

  private CauseChain() {}

  /**
   * {@code t} and its causes, outermost first, each as its simple class name and message, on one line.
   *
   * @param t the failure; not null
   * @return the chain, joined with {@code " <- "}
   */
  public static String of(Throwable t) {
    StringBuilder out = new StringBuilder();
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable c = t; c != null && seen.put(c, Boolean.TRUE) == null && seen.size() <= MAX_DEPTH;
        c = c.getCause()) {
      if (out.length() > 0) {
        out.append(" <- ");
      }
      out.append(c.getClass().getSimpleName());
      String message = c.getMessage();
      if (message != null && !message.isEmpty()) {
        out.append(": ").append(message.replace('\n', ' '));
      }
    }
    return out.toString();
  }
}
