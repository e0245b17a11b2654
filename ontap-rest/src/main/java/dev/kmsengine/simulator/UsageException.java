package dev.kmsengine.simulator;

/** A command line the simulator cannot run with; the message says why and is printed as is. */
final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
