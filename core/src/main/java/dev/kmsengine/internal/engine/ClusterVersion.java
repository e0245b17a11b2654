package dev.kmsengine.internal.engine;

/**
 * An ONTAP effective cluster version, compared numerically ({@code 9.17.1} &gt; {@code 9.9}).
 *
 * <p>Immutable; thread-safe.
 *
 * @param major generation
 * @param minor major release
 * @param micro minor release
 */
public record ClusterVersion(int major, int minor, int micro) implements Comparable<ClusterVersion> {
  /** The first version with Barbican KMS. */
  public static final ClusterVersion BARBICAN_MINIMUM = new ClusterVersion(9, 17, 0);

  /**
   * Parses {@code major.minor[.micro]}.
   *
   * @param text the version, e.g. {@code 9.17.1}; a missing micro counts as 0
   * @return the parsed version
   * @throws IllegalArgumentException if it is not such a version
   */
  public static ClusterVersion parse(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new IllegalArgumentException("not a cluster version: " + text);
    }
    try {
      return new ClusterVersion(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]),
          parts.length == 3 ? Integer.parseInt(parts[2]) : 0);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a cluster version: " + text, e);
    }
  }

  @Override
  public int compareTo(ClusterVersion o) {
    int c = Integer.compare(major, o.major);
    if (c == 0) {
      c = Integer.compare(minor, o.minor);
    }
    return c != 0 ? c : Integer.compare(micro, o.micro);
  }
}
