package dev.kmsengine.transport;

import java.time.Duration;

/**
 * One attempt at a request, as the connect step sees it through HttpClient's context: the node that dials, the
 * request (for messages) and the deadline that bounds the attempt from the dial to the last body byte.
 *
 * @param node the cluster node the request is sent from
 * @param request the request, named in messages by its method and redacted URL
 * @param deadlineNanos the {@link System#nanoTime()} by which the attempt must be over
 * @param timeout the attempt timeout, for messages
 */
record Attempt(String node, HttpRequest request, long deadlineNanos, Duration timeout) {
  /** The HttpClient context attribute that holds the attempt. */
  static final String CONTEXT_ATTRIBUTE = Attempt.class.getName();

  /** The time left, or a {@link TransportException.Kind#TIMEOUT} failure once the deadline has passed. */
  Duration remaining() throws AttemptFailure {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw new AttemptFailure(new TransportException(TransportException.Kind.TIMEOUT,
          request.describe() + ": attempt ran past " + timeout.toSeconds() + " s", null));
    }
    return Duration.ofNanos(left);
  }

  /** The time left in milliseconds, at least 1, for {@link java.net.Socket#setSoTimeout}. */
  int remainingMillis() throws AttemptFailure {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, remaining().toMillis()));
  }

  /** A timeout failure for {@code where}. */
  TransportException timedOut(String where) {
    return new TransportException(TransportException.Kind.TIMEOUT, request.describe() + ": no complete answer from "
        + where + " within " + timeout.toSeconds() + " s", null);
  }

  /** The message of {@code e}, or its class name when it has none. */
  static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
