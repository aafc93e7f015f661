package org.jevent.bufferevent.ssl;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager over one in-memory identity: a private key and its certificate chain, both
 * decoded once when the context is built.
 *
 * <p>Why not {@code KeyManagerFactory("PKIX")}: its {@code X509KeyManagerImpl} makes a fresh alias
 * per choice ({@code uidCounter.incrementAndGet() + "." + ...}), so its entry cache never hits
 * and every {@code getPrivateKey} re-reads and re-decrypts the PKCS#12 entry (PBKDF2); Conscrypt
 * asks the key manager on every server handshake, even a resumed one. Measured here: about 250
 * handshakes/s with it against about 2,000 with a fixed key (shared/reference 1.3). This class
 * returns the same key object every time, and choosing an alias is a string comparison.
 *
 * <p>Choice by key type: the alias is offered when the engine asks for the key's own algorithm
 * ({@code "EC"}, {@code "RSA"}, {@code "RSASSA-PSS"}, {@code "EdDSA"}) or a TLS 1.2 compound type
 * that starts with it ({@code "EC_EC"}, {@code "RSA_EC"} are the JDK's names for the key and its
 * issuer's). Certificate-authority hints from the peer ({@code issuers}) are ignored: with one
 * identity there is nothing to choose between, and a client that offers its only certificate
 * lets the server say what is wrong with it.
 *
 * <p>Invariants: immutable; {@code chain} is non-empty and {@code chain[0]} holds the public key of
 * {@code key}; thread-safe.
 */
final class SingleKeyManager extends X509ExtendedKeyManager {
    static final String ALIAS = "jevent";

    private final PrivateKey key;
    private final X509Certificate[] chain;
    private final String keyType;

    SingleKeyManager(PrivateKey key, List<X509Certificate> chain) {
        this.key = Objects.requireNonNull(key, "key");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("empty certificate chain");
        }
        this.chain = chain.toArray(new X509Certificate[0]);
        this.keyType = keyType(key);
    }

    /** The TLS key type name of a key: what engines pass to {@code choose*Alias}. */
    static String keyType(PrivateKey key) {
        String algorithm = key.getAlgorithm();
        // JDK EdDSA keys may report "Ed25519"/"Ed448"; the JDK engine asks for "EdDSA".
        return algorithm.startsWith("Ed") ? "EdDSA" : algorithm;
    }

    private boolean matches(String requested) {
        return requested != null
                && (requested.equals(keyType) || requested.startsWith(keyType + "_"));
    }

    private boolean matchesAny(String[] requested) {
        if (requested != null) {
            for (String r : requested) {
                if (matches(r)) {
                    return true;
                }
            }
        }
        return false;
    }

    PrivateKey key() {
        return key;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return matches(keyType) ? new String[] {ALIAS} : null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return matchesAny(keyType) ? ALIAS : null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return matchesAny(keyType) ? ALIAS : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return matches(keyType) ? new String[] {ALIAS} : null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return matches(keyType) ? ALIAS : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return matches(keyType) ? ALIAS : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        // A copy: callers may write into the array, and the chain is shared by every handshake.
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }
}
