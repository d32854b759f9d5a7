package dev.livemigration.core.dataplane.transport;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the {@code tls} transport's AES-GCM run on the Amazon Corretto Crypto Provider (ACCP) when
 * its jar is on the class path: JSSE seals and opens each TLS record with the JVM's first provider
 * of {@code AES/GCM/NoPadding}, and ACCP's native AES-GCM costs about half of the JDK 17's per byte
 * (docs/benchmarks.md). Nothing happens without the jar, and JSSE keeps using the JDK's own cipher.
 *
 * <p>The change is JVM-wide but narrow: a provider named {@value #PROVIDER_NAME} is put first in
 * the provider list, and it offers {@code AES/GCM/NoPadding} only, delegating to ACCP; every other
 * algorithm stays where it was. It is installed only if ACCP loaded its native library and passes a
 * known-answer check against the JDK's cipher. Set the system property {@value #PROPERTY} to {@code
 * false} to keep the JDK's cipher; install ACCP yourself ({@code AmazonCorrettoCryptoProvider
 * .install()}) to have it for every algorithm.
 */
final class AesGcmAcceleration {
  /** The system property that turns the acceleration off when {@code false}. */
  static final String PROPERTY = "dev.livemigration.tls.accp";

  /** The name of the narrow provider put first in the JVM's list. */
  static final String PROVIDER_NAME = "LiveMigrationAesGcm";

  private static final String TRANSFORMATION = "AES/GCM/NoPadding";
  private static final String ACCP_CLASS =
      "com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider";
  private static final Logger LOG = LoggerFactory.getLogger(AesGcmAcceleration.class);

  private static @Nullable String outcome;

  private AesGcmAcceleration() {}

  /** Installs the narrow provider unless done, turned off, or impossible (logged once). */
  static synchronized void ensureInstalled() {
    if (outcome == null) {
      outcome = install();
      LOG.info("TLS AES-GCM: {}", outcome);
    }
  }

  /** Which AES-GCM TLS records use now, in words, after {@link #ensureInstalled()}. */
  static synchronized String describe() {
    ensureInstalled();
    String installed = Objects.requireNonNull(outcome);
    if (installed.startsWith("ACCP") && !active()) {
      return "the JDK's cipher (the provider " + PROVIDER_NAME + " was removed or is not usable)";
    }
    return installed;
  }

  /** Whether the JVM's first provider of AES-GCM is the narrow one installed here. */
  private static boolean active() {
    try {
      return PROVIDER_NAME.equals(Cipher.getInstance(TRANSFORMATION).getProvider().getName());
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String install() {
    if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"))) {
      return "the JDK's cipher (" + PROPERTY + "=false)";
    }
    if (Security.getProvider(PROVIDER_NAME) != null) {
      return "ACCP (provider " + PROVIDER_NAME + " first, AES-GCM only)";
    }
    Provider accp = loadAccp();
    if (accp == null) {
      return "the JDK's cipher (the Amazon Corretto Crypto Provider is not on the class path)";
    }
    Provider.Service service = accp.getService("Cipher", TRANSFORMATION);
    if (service == null) {
      return "the JDK's cipher (ACCP "
          + accp.getVersionStr()
          + " offers no "
          + TRANSFORMATION
          + ")";
    }
    String mismatch = knownAnswerMismatch(accp);
    if (mismatch != null) {
      LOG.warn("ACCP's AES-GCM is not used: {}", mismatch);
      return "the JDK's cipher (ACCP failed its check: " + mismatch + ")";
    }
    Security.insertProviderAt(new Narrow(accp, service), 1);
    return "ACCP " + accp.getVersionStr() + " (provider " + PROVIDER_NAME + " first, AES-GCM only)";
  }

  private static @Nullable Provider loadAccp() {
    try {
      Class<?> type = Class.forName(ACCP_CLASS, true, AesGcmAcceleration.class.getClassLoader());
      Provider provider = (Provider) type.getField("INSTANCE").get(null);
      Object error = type.getMethod("getLoadingError").invoke(provider);
      if (error != null) {
        // Typically a jar for another platform: the JDK's cipher serves, as without the jar.
        LOG.info("ACCP is on the class path but did not load: {}", error);
        return null;
      }
      return provider;
    } catch (ClassNotFoundException e) {
      return null;
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      LOG.warn("ACCP is on the class path but cannot be used: {}", e.toString());
      return null;
    }
  }

  /**
   * Seals a message with a fixed key, nonce and additional data with ACCP and with the JDK, and
   * opens ACCP's with the JDK; returns what differs, or null when both agree.
   */
  private static @Nullable String knownAnswerMismatch(Provider accp) {
    try {
      byte[] key = new byte[32];
      byte[] nonce = new byte[12];
      byte[] aad = new byte[13];
      byte[] plain = new byte[16 * 1024 + 5];
      for (int i = 0; i < plain.length; i++) {
        plain[i] = (byte) (i * 31 + 7);
      }
      Arrays.fill(key, (byte) 0x5a);
      Arrays.fill(nonce, (byte) 0x3c);
      Arrays.fill(aad, (byte) 0x17);
      byte[] ours = seal(Cipher.getInstance(TRANSFORMATION, accp), key, nonce, aad, plain);
      byte[] jdk = seal(Cipher.getInstance(TRANSFORMATION, "SunJCE"), key, nonce, aad, plain);
      if (!Arrays.equals(ours, jdk)) {
        return "its sealed bytes differ from the JDK's";
      }
      Cipher open = Cipher.getInstance(TRANSFORMATION, "SunJCE");
      open.init(
          Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
      open.updateAAD(aad);
      return Arrays.equals(open.doFinal(ours), plain) ? null : "the JDK opens it to other bytes";
    } catch (GeneralSecurityException | RuntimeException e) {
      return e.toString();
    }
  }

  private static byte[] seal(Cipher cipher, byte[] key, byte[] nonce, byte[] aad, byte[] plain)
      throws GeneralSecurityException {
    cipher.init(
        Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    cipher.updateAAD(aad);
    return cipher.doFinal(plain);
  }

  /** A provider of {@code AES/GCM/NoPadding} alone, whose instances are ACCP's. */
  private static final class Narrow extends Provider {
    private static final long serialVersionUID = 1L;

    Narrow(Provider accp, Provider.Service target) {
      super(
          PROVIDER_NAME,
          accp.getVersionStr(),
          "AES/GCM/NoPadding of " + accp.getName() + " " + accp.getVersionStr());
      putService(
          new Provider.Service(
              this, "Cipher", TRANSFORMATION, target.getClassName(), null, Map.of()) {
            @Override
            public Object newInstance(@Nullable Object parameter) throws NoSuchAlgorithmException {
              return target.newInstance(parameter);
            }

            @Override
            public boolean supportsParameter(Object parameter) {
              return target.supportsParameter(parameter);
            }
          });
    }
  }
}
