package org.jevent.bufferevent.ssl;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The key material of {@link SslContexts}: where this end's identity (key and certificate chain)
 * and the trust anchors come from (PEM files, a key store, a {@link SelfSignedCertificate}, memory),
 * how they are read, and the checks made on them. A {@link SslContexts.Builder} only records these
 * sources; {@link SslContexts.Builder#build()} loads them, through this class, once.
 *
 * <p>Invariant: a loaded identity has a non-empty chain whose first certificate carries the public
 * key of the private key (checked by signing, where the key type allows it); the key is decoded
 * exactly once, converted at most once into the provider's own form, and served from memory by a
 * {@link SingleKeyManager}.
 */
final class KeyMaterial {
    private KeyMaterial() {
    }

    /** Key and chain, decoded; {@code source} names where they came from, for messages. */
    record Identity(PrivateKey key, List<X509Certificate> chain, String source) {
    }

    /** Where an identity comes from; read by {@link #keyManager}. */
    @FunctionalInterface
    interface IdentitySource {
        Identity load() throws IOException, GeneralSecurityException;
    }

    /** Where trust anchors come from; read by {@link #trustManagers}. */
    @FunctionalInterface
    interface TrustSource {
        void addTo(List<X509Certificate> anchors) throws IOException, GeneralSecurityException;
    }

    static IdentitySource fromPem(Path certificateChainPem, Path privateKeyPem) {
        return () -> {
            List<X509Certificate> chain = Pem.readCertificates(certificateChainPem);
            PrivateKey key = Pem.readPrivateKey(privateKeyPem, chain.get(0).getPublicKey().getAlgorithm());
            return new Identity(key, chain, certificateChainPem + " and " + privateKeyPem);
        };
    }

    static IdentitySource fromSelfSigned(SelfSignedCertificate certificate) {
        return () -> new Identity(certificate.privateKey(), List.of(certificate.certificate()), certificate.toString());
    }

    static IdentitySource fromKeyStore(KeyStore keyStore, String alias, char[] password) {
        char[] pw = password == null ? null : password.clone();
        return () -> loadKeyStoreEntry(keyStore, alias, pw);
    }

    static IdentitySource fromMemory(PrivateKey key, X509Certificate... chain) {
        List<X509Certificate> c = List.of(chain);
        return () -> new Identity(key, c, "the given key");
    }

    static TrustSource trustPem(Path caPem) {
        return anchors -> anchors.addAll(Pem.readCertificates(caPem));
    }

    /** Its trusted-certificate entries and the first certificate of each key entry, as the JDK's own trust manager does. */
    static TrustSource trustStore(KeyStore trustStore) {
        return anchors -> {
            for (String alias : Collections.list(trustStore.aliases())) {
                Certificate c = trustStore.getCertificate(alias);
                if (c instanceof X509Certificate x) {
                    anchors.add(x);
                }
            }
        };
    }

    static TrustSource trustCertificates(X509Certificate... certificates) {
        List<X509Certificate> list = List.of(certificates);
        return anchors -> anchors.addAll(list);
    }

    /**
     * Loads the identity, checks that key and first certificate match, and serves it from memory,
     * the key in the form {@code provider}'s engines take as it is ({@link #forEngines}).
     */
    static SingleKeyManager keyManager(IdentitySource source, SslProvider provider)
            throws IOException, GeneralSecurityException {
        Identity id = source.load();
        checkKeyMatches(id);
        return new SingleKeyManager(forEngines(id.key(), provider), id.chain());
    }

    /**
     * The key as {@code provider}'s engines use it without converting it. Conscrypt turns a key of
     * another provider into its own native key on every handshake that presents it (re-encoding
     * it, parsing it again and, for EC, recomputing its public point: 4-5 % of a server
     * handshake's CPU, benchmarks/PERF-NOTES.md (b)), and takes its own keys as they are; so the
     * key is converted here, once, through Conscrypt's key factory. A key that factory cannot
     * take (a type it lacks, a key that will not export its PKCS#8 encoding, such as one in a
     * hardware token) stays as it is and is converted per handshake, as before. The certificate
     * chain stays the JDK's: Conscrypt asks only for its encoding, which a JDK certificate keeps,
     * while its own certificates encode again on every call.
     */
    static PrivateKey forEngines(PrivateKey key, SslProvider provider) {
        Provider engines = provider.keyProvider();
        if (engines == null || !"PKCS#8".equals(key.getFormat())) {
            return key;
        }
        byte[] pkcs8 = key.getEncoded();
        if (pkcs8 == null) {
            return key;
        }
        try {
            return KeyFactory.getInstance(key.getAlgorithm(), engines).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException notForThisProvider) {
            return key;
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /**
     * The trust managers: accept-all for {@code trustAll}; otherwise SunJSSE's PKIX, by name
     * (Conscrypt registers a "PKIX" factory as well, and one implementation for both engines keeps
     * the checks identical), over the JDK's cacerts when there is no trust source.
     */
    static TrustManager[] trustManagers(List<TrustSource> trust, boolean trustAll)
            throws IOException, GeneralSecurityException {
        if (trustAll) {
            return new TrustManager[] {new InsecureTrustManager()};
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX", "SunJSSE");
        if (trust.isEmpty()) {
            tmf.init((KeyStore) null); // the JDK's cacerts
        } else {
            List<X509Certificate> anchors = new ArrayList<>();
            for (TrustSource t : trust) {
                t.addTo(anchors);
            }
            if (anchors.isEmpty()) {
                throw new CertificateException("the trust sources hold no certificate");
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (X509Certificate c : anchors) {
                ks.setCertificateEntry("anchor-" + i++, c);
            }
            tmf.init(ks);
        }
        return tmf.getTrustManagers();
    }

    private static Identity loadKeyStoreEntry(KeyStore ks, String alias, char[] password)
            throws GeneralSecurityException {
        String chosen = alias;
        if (chosen == null) {
            List<String> keyAliases = new ArrayList<>();
            for (String a : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(a)) {
                    keyAliases.add(a);
                }
            }
            if (keyAliases.size() != 1) {
                throw new KeyStoreException(keyAliases.isEmpty()
                        ? "the key store holds no private key entry"
                        : "the key store holds several private keys " + keyAliases + "; name one with identity(keyStore, alias, password)");
            }
            chosen = keyAliases.get(0);
        }
        // Read once here; the key manager hands out this object from now on.
        Key key = ks.getKey(chosen, password);
        if (!(key instanceof PrivateKey pk)) {
            throw new KeyStoreException("alias \"" + chosen + "\" is not a private key entry");
        }
        Certificate[] certs = ks.getCertificateChain(chosen);
        if (certs == null || certs.length == 0) {
            throw new KeyStoreException("alias \"" + chosen + "\" has no certificate chain");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : certs) {
            if (!(c instanceof X509Certificate x)) {
                throw new KeyStoreException("alias \"" + chosen + "\" holds a non-X.509 certificate");
            }
            chain.add(x);
        }
        return new Identity(pk, chain, "key store entry \"" + chosen + "\"");
    }

    /**
     * Proves that the key belongs to the first certificate by signing and verifying, so that a
     * swapped file or a chain in the wrong order fails here with a message, not in every
     * handshake with "handshake_failure".
     */
    private static void checkKeyMatches(Identity id) throws GeneralSecurityException {
        String algorithm = switch (SingleKeyManager.keyType(id.key())) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "EdDSA" -> "EdDSA";
            default -> null; // RSASSA-PSS needs parameters; the handshake will tell
        };
        if (algorithm == null) {
            return;
        }
        byte[] probe = new byte[32];
        new SecureRandom().nextBytes(probe);
        boolean ok;
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(id.key());
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(id.chain().get(0).getPublicKey());
            v.update(probe);
            ok = v.verify(sig);
        } catch (InvalidKeyException | SignatureException e) {
            ok = false; // e.g. an RSA key against an EC certificate
        }
        if (!ok) {
            throw new InvalidKeyException(id.source() + ": the private key does not match the first certificate ("
                    + id.chain().get(0).getSubjectX500Principal()
                    + "); the chain must start with this end's own certificate");
        }
    }

    /**
     * Accepts everything: {@link SslContexts.Builder#trustAllInsecure()}. Extended, so that
     * neither provider wraps it in an adapter that would add host name checks of its own.
     */
    private static final class InsecureTrustManager extends X509ExtendedTrustManager {
        private static final X509Certificate[] NONE = new X509Certificate[0];

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return NONE;
        }
    }
}
