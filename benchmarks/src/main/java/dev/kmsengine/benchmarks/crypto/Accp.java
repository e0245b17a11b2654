package dev.kmsengine.benchmarks.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.GeneralSecurityException;
import java.security.Provider;

/**
 * Amazon Corretto Crypto Provider, the {@code accp} peer: AWS-LC's AES-GCM behind the JCE, through a native library
 * that ships inside its jar (Linux x86_64, glibc). Its health check runs before it is used, so that a provider whose
 * native library did not load fails the benchmark loudly instead of measuring ACCP's pure-Java fallbacks.
 */
final class Accp {
  private Accp() {}

  static Provider provider() throws GeneralSecurityException {
    AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
    Throwable failure = accp.getLoadingError();
    if (failure != null) {
      throw new GeneralSecurityException("ACCP's native library did not load", failure);
    }
    accp.assertHealthy();
    return accp;
  }
}
