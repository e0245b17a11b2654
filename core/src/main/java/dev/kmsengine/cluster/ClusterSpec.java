package dev.kmsengine.cluster;

import dev.kmsengine.internal.engine.ClusterVersion;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The shape of a simulated cluster: its name, effective cluster version, MetroCluster flag, licensed packages,
 * nodes, admin SVM and data SVMs. Immutable; build with {@link #builder(String)}.
 *
 * <p>Defaults: version {@code 9.17.1}, not MetroCluster, {@code MT_EK_MGMT} licensed, nodes {@code node1} and
 * {@code node2}, admin SVM named like the cluster, no data SVMs.
 *
 * @param name the cluster name
 * @param version the effective cluster version, {@code major.minor[.micro]}
 * @param metroCluster whether the cluster is a MetroCluster configuration
 * @param licenses licensed package names, e.g. {@code MT_EK_MGMT}
 * @param nodes node names, in order
 * @param adminSvm the admin SVM name
 * @param dataSvms data SVM names
 */
public record ClusterSpec(String name, String version, boolean metroCluster, Set<String> licenses,
    List<String> nodes, String adminSvm, List<String> dataSvms) {

  /** The license the Barbican feature needs. */
  public static final String MT_EK_MGMT = "MT_EK_MGMT";

  /**
   * Validates and copies.
   *
   * @param name the cluster name
   * @param version the effective cluster version, {@code major.minor[.micro]}
   * @param metroCluster whether the cluster is a MetroCluster configuration
   * @param licenses licensed package names, copied
   * @param nodes node names, in order; at least one, unique
   * @param adminSvm the admin SVM name
   * @param dataSvms data SVM names; unique, and none named like the admin SVM
   * @throws IllegalArgumentException if a name repeats, there is no node, or the version does not parse
   */
  public ClusterSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    licenses = Set.copyOf(licenses);
    nodes = List.copyOf(nodes);
    dataSvms = List.copyOf(dataSvms);
    Objects.requireNonNull(adminSvm, "adminSvm");
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("a cluster needs at least one node");
    }
    if (new LinkedHashSet<>(nodes).size() != nodes.size()) {
      throw new IllegalArgumentException("node names must be unique: " + nodes);
    }
    Set<String> svms = new LinkedHashSet<>(dataSvms);
    if (svms.size() != dataSvms.size() || svms.contains(adminSvm)) {
      throw new IllegalArgumentException("SVM names must be unique: " + adminSvm + ", " + dataSvms);
    }
    ClusterVersion.parse(version);
  }

  /**
   * A builder for a cluster named {@code name}.
   *
   * @param name the cluster name
   * @return a builder with the defaults listed on {@link ClusterSpec}
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Builds a {@link ClusterSpec}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private String version = "9.17.1";
    private boolean metroCluster;
    private final Set<String> licenses = new LinkedHashSet<>(Set.of(MT_EK_MGMT));
    private final List<String> nodes = new ArrayList<>();
    private String adminSvm;
    private final List<String> dataSvms = new ArrayList<>();

    private Builder(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * The effective cluster version.
     *
     * @param v the version, {@code major.minor[.micro]}, e.g. {@code 9.17.1}
     * @return this builder
     */
    public Builder version(String v) {
      version = v;
      return this;
    }

    /**
     * Marks the cluster as MetroCluster.
     *
     * @param v {@code true} for a MetroCluster configuration
     * @return this builder
     */
    public Builder metroCluster(boolean v) {
      metroCluster = v;
      return this;
    }

    /**
     * Replaces the licensed packages.
     *
     * @param v the licensed package names
     * @return this builder
     */
    public Builder licenses(Set<String> v) {
      licenses.clear();
      licenses.addAll(v);
      return this;
    }

    /**
     * Adds nodes.
     *
     * @param names node names, appended in order
     * @return this builder
     */
    public Builder nodes(String... names) {
      nodes.addAll(List.of(names));
      return this;
    }

    /**
     * Adds {@code count} nodes named {@code node1..nodeN}.
     *
     * @param count the number of nodes to add
     * @return this builder
     */
    public Builder nodeCount(int count) {
      for (int i = 1; i <= count; i++) {
        nodes.add("node" + i);
      }
      return this;
    }

    /**
     * The admin SVM name (default: the cluster name).
     *
     * @param v the admin SVM name
     * @return this builder
     */
    public Builder adminSvm(String v) {
      adminSvm = v;
      return this;
    }

    /**
     * Adds data SVMs.
     *
     * @param names data SVM names, appended in order
     * @return this builder
     */
    public Builder dataSvms(String... names) {
      dataSvms.addAll(List.of(names));
      return this;
    }

    /**
     * The spec.
     *
     * @return the validated specification
     * @throws IllegalArgumentException as the {@link ClusterSpec} constructor
     */
    public ClusterSpec build() {
      List<String> n = nodes.isEmpty() ? List.of("node1", "node2") : nodes;
      return new ClusterSpec(name, version, metroCluster, licenses, n, adminSvm == null ? name : adminSvm,
          dataSvms);
    }
  }
}
