package dev.kmsengine.simulator;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Where {@code --cluster-db etcd:URL[,URL...]} keeps the cluster database: the etcd members' client URLs, the
 * namespace (key prefix) of this cluster's store, and the local configuration-protection key file.
 *
 * <p>The key file is never kept in etcd (see docs/etcd-store.md): it comes from {@code --config-protection-key},
 * else from {@code --data-dir}; with neither the command line is refused, since a key made up in memory would be
 * lost with the process and with it every sealed configuration secret in the store.
 *
 * @param endpoints the members' client URLs ({@code http://HOST:PORT}), at least one
 * @param namespace the key prefix, ending with {@code /}
 * @param keyFile the configuration-protection key file
 * @param timeout how long one request to etcd may take
 * @param leaseTtl the time to live of the leases behind node liveness and SVM locks
 */
record EtcdStoreOptions(List<URI> endpoints, String namespace, Path keyFile, Duration timeout, Duration leaseTtl) {
  /** What {@code --cluster-db}'s value starts with. */
  static final String SCHEME = "etcd:";
  /** The key file's name inside {@code --data-dir} when {@code --config-protection-key} is not given. */
  static final String KEY_FILE = "etcd.config-protection-key";
  /** {@code --etcd-timeout}'s default, the store's own. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);
  /** {@code --lease-ttl}'s default, the store's own. */
  static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);

  EtcdStoreOptions {
    endpoints = List.copyOf(endpoints);
  }

  /** The namespace when {@code --etcd-namespace} is not given: one per cluster name. */
  static String defaultNamespace(String clusterName) {
    return "/kms-engine/" + clusterName + "/";
  }

  /**
   * The store {@code --cluster-db value} names, with the companion options resolved.
   *
   * @param namespaceOrNull {@code --etcd-namespace}, or null for {@link #defaultNamespace}
   * @param keyFileOrNull {@code --config-protection-key}, or null for {@value #KEY_FILE} in {@code dataDirOrNull}
   * @param timeout {@code --etcd-timeout}
   * @param leaseTtl {@code --lease-ttl}
   */
  static EtcdStoreOptions parse(String value, String clusterName, String namespaceOrNull, Path keyFileOrNull,
      Path dataDirOrNull, Duration timeout, Duration leaseTtl) throws UsageException {
    if (!value.startsWith(SCHEME)) {
      throw new UsageException("--cluster-db must be etcd:URL[,URL...], not \"" + value + "\" (without"
          + " --cluster-db the cluster database is in memory, or DIR/" + SimulatorDatabase.FILE
          + " with --data-dir DIR).");
    }
    List<URI> endpoints = new ArrayList<>();
    for (String url : value.substring(SCHEME.length()).split(",", -1)) {
      endpoints.add(endpoint(url.strip()));
    }
    String namespace = namespaceOrNull != null ? namespaceOrNull : defaultNamespace(clusterName);
    if (!namespace.startsWith("/") || !namespace.endsWith("/") || namespace.length() < 2) {
      throw new UsageException("--etcd-namespace must start and end with \"/\" (e.g. "
          + defaultNamespace(clusterName) + "), not \"" + namespace + "\".");
    }
    Path keyFile = keyFileOrNull;
    if (keyFile == null) {
      if (dataDirOrNull == null) {
        throw new UsageException("--cluster-db etcd: needs --config-protection-key FILE, or --data-dir DIR (the"
            + " key is then DIR/" + KEY_FILE + "): the key that seals configuration secrets is never kept in"
            + " etcd, and every process on the same store needs a copy of the same file.");
      }
      keyFile = dataDirOrNull.resolve(KEY_FILE);
    }
    return new EtcdStoreOptions(endpoints, namespace, keyFile, timeout, leaseTtl);
  }

  private static URI endpoint(String url) throws UsageException {
    String why = "--cluster-db: \"" + url + "\" is not an etcd client URL http://HOST:PORT (TLS to etcd is not"
        + " supported by the simulator).";
    if (url.isEmpty()) {
      throw new UsageException("--cluster-db etcd: needs at least one URL, and no empty one: etcd:URL[,URL...].");
    }
    try {
      URI u = new URI(url);
      if (!"http".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 0 || u.getRawUserInfo() != null
          || !(u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/"))
          || u.getRawQuery() != null || u.getRawFragment() != null) {
        throw new UsageException(why);
      }
      return u;
    } catch (URISyntaxException e) {
      throw new UsageException(why);
    }
  }

  /** The endpoints as given to {@code --cluster-db}, for messages. */
  String describe() {
    return SCHEME + String.join(",", endpoints.stream().map(URI::toString).toList());
  }
}
