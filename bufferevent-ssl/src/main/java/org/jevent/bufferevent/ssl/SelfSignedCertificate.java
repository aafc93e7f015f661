package org.jevent.bufferevent.ssl;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.IDN;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A throw-away self-signed certificate and its key, made in pure Java: an EC P-256 key pair and an
 * X.509 v3 certificate encoded by this package's own small DER writer and signed with
 * SHA256withECDSA. For tests, examples and development servers; never for production trust.
 *
 * <p>Why not {@code keytool} or BouncyCastle: a {@code keytool} process costs a second or more
 * and needs a writable directory; BouncyCastle is a large dependency for one certificate; and the
 * JDK's {@code sun.security.x509} is not exported. The encoding is small (one TBSCertificate) and
 * is proved valid by parsing it back with {@link CertificateFactory} and verifying the signature.
 *
 * <p>What the certificate holds: subject and issuer {@code CN=<commonName>}; a random positive
 * 127-bit serial; validity from one hour ago (tolerates clock skew between peers) to
 * {@code validityDays} from now; extensions subjectAltName ({@code DNS:localhost},
 * {@code IP:127.0.0.1}, the common name and any extra names; IP literals become IP entries, and
 * internationalized host names their IDNA A-labels, {@code xn--...}, the only form a dNSName holds),
 * basicConstraints {@code CA:FALSE} (critical), keyUsage digitalSignature (critical; ECDHE
 * signs, it never encrypts to the key), extKeyUsage serverAuth and clientAuth, so one certificate
 * serves either end.
 *
 * <p>Invariants: immutable after {@link #generate}; {@link #certificate()} is a parsed, verified
 * certificate whose public key is the pair of {@link #privateKey()}; safe to share across
 * threads.
 */
public final class SelfSignedCertificate {
    /** The common name and first DNS subject alternative name used by {@link #generate()}. */
    public static final String DEFAULT_COMMON_NAME = "localhost";
    /** Days of validity used by {@link #generate()}. */
    public static final int DEFAULT_VALIDITY_DAYS = 7;
    /** The alias of the key entry in {@link #keyStore(char[])}. */
    public static final String KEY_STORE_ALIAS = "selfsigned";

    private static final String OID_EC_WITH_SHA256 = "1.2.840.10045.4.3.2";
    private static final String OID_COMMON_NAME = "2.5.4.3";
    private static final String OID_SUBJECT_ALT_NAME = "2.5.29.17";
    private static final String OID_BASIC_CONSTRAINTS = "2.5.29.19";
    private static final String OID_KEY_USAGE = "2.5.29.15";
    private static final String OID_EXT_KEY_USAGE = "2.5.29.37";
    private static final String OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    /** Only literals: a name that is not one must never go to DNS from here. */
    private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;

    private SelfSignedCertificate(X509Certificate certificate, PrivateKey privateKey) {
        this.certificate = certificate;
        this.privateKey = privateKey;
    }

    /**
     * A certificate for {@code CN=localhost}, valid for {@value #DEFAULT_VALIDITY_DAYS} days, with
     * SANs {@code DNS:localhost} and {@code IP:127.0.0.1}.
     *
     * @return a new certificate and key
     * @throws IllegalStateException if the JDK lacks EC P-256 or SHA256withECDSA (every JDK 17 has
     *     both in SunEC) or the encoding fails to verify (a bug here)
     */
    public static SelfSignedCertificate generate() {
        return generate(DEFAULT_COMMON_NAME, DEFAULT_VALIDITY_DAYS);
    }

    /**
     * A certificate for {@code CN=commonName}, valid from an hour ago until {@code validityDays}
     * from now. The subject alternative names are {@code DNS:localhost}, {@code IP:127.0.0.1},
     * the common name, and {@code extraNames}, without duplicates; IPv4 and IPv6 literals become
     * IP entries, anything else a DNS entry (no name is ever resolved). A DNS entry is ASCII
     * (RFC 5280: an IA5String), so an internationalized name is entered as its IDNA A-labels
     * ({@link IDN#toASCII(String)}: {@code bücher.example} becomes {@code
     * xn--bcher-kva.example}, which is also the name a client checks); the common name keeps its
     * text as given.
     *
     * @param commonName the subject and issuer common name, not empty
     * @param validityDays days of validity from now, at least 1
     * @param extraNames more DNS names or IP literals for the subjectAltName
     * @return a new certificate and key
     * @throws IllegalArgumentException if a name is empty, an IP literal is malformed, or a host
     *     name cannot be encoded as IDNA A-labels (an empty label, a label too long, a code point
     *     IDNA does not allow), naming it and why
     * @throws IllegalStateException as for {@link #generate()}
     */
    public static SelfSignedCertificate generate(String commonName, int validityDays, String... extraNames) {
        Objects.requireNonNull(commonName, "commonName");
        if (commonName.isEmpty()) {
            throw new IllegalArgumentException("empty common name");
        }
        if (validityDays < 1) {
            throw new IllegalArgumentException("validityDays must be at least 1: " + validityDays);
        }
        Set<String> names = new LinkedHashSet<>();
        names.add(DEFAULT_COMMON_NAME);
        names.add("127.0.0.1");
        names.add(asciiName(commonName));
        for (String n : extraNames) {
            if (n == null || n.isEmpty()) {
                throw new IllegalArgumentException("empty subject alternative name");
            }
            names.add(asciiName(n));
        }
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            KeyPair pair = kpg.generateKeyPair();

            // Whole seconds: the DER times carry no fraction, and notBefore must not lie after
            // the moment the certificate is first used.
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            byte[] algorithm = Der.sequence(Der.oid(OID_EC_WITH_SHA256)); // RFC 5758: parameters absent
            byte[] name = Der.sequence(Der.set(Der.sequence(Der.oid(OID_COMMON_NAME), Der.utf8String(commonName))));
            byte[] tbs = Der.sequence(
                    Der.explicit(0, Der.integer(2)), // version v3
                    Der.integer(serial()),
                    algorithm,
                    name, // issuer: self-signed, so the same Name as the subject
                    Der.sequence(Der.time(now.minus(Duration.ofHours(1))),
                            Der.time(now.plus(Duration.ofDays(validityDays)))),
                    name,
                    pair.getPublic().getEncoded(), // already a DER SubjectPublicKeyInfo
                    Der.explicit(3, Der.sequence(
                            extension(OID_SUBJECT_ALT_NAME, false, subjectAltNames(names)),
                            extension(OID_BASIC_CONSTRAINTS, true, Der.sequence()), // cA FALSE is the DEFAULT: omitted
                            // bit 0 = digitalSignature; 7 unused bits in the single byte
                            extension(OID_KEY_USAGE, true, Der.bitString(new byte[] {(byte) 0x80}, 7)),
                            extension(OID_EXT_KEY_USAGE, false,
                                    Der.sequence(Der.oid(OID_SERVER_AUTH), Der.oid(OID_CLIENT_AUTH))))));

            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(pair.getPrivate(), RANDOM);
            signer.update(tbs);
            byte[] signature = signer.sign(); // already the DER Ecdsa-Sig-Value the BIT STRING carries
            byte[] der = Der.sequence(tbs, algorithm, Der.bitString(signature, 0));

            // Parse back and verify: proves the encoding rather than trusting it.
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            cert.verify(pair.getPublic());
            return new SelfSignedCertificate(cert, pair.getPrivate());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a self-signed certificate", e);
        }
    }

    /** Positive, non-zero, at most 20 octets (RFC 5280 4.1.2.2): 127 random bits plus a set top bit. */
    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).setBit(126);
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        // critical is DEFAULT FALSE: DER omits a default value instead of encoding FALSE.
        return critical
                ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octetString(value))
                : Der.sequence(Der.oid(oid), Der.octetString(value));
    }

    /**
     * {@code name} as a subjectAltName holds it: an IP literal unchanged (it becomes an IP entry),
     * a host name as IDNA A-labels; an ASCII name comes back as it was.
     */
    private static String asciiName(String name) {
        if (ipLiteral(name) != null) {
            return name;
        }
        try {
            return IDN.toASCII(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("host name \"" + name + "\" cannot be encoded as IDNA A-labels for a"
                    + " DNS subject alternative name: " + e.getMessage(), e);
        }
    }

    private static byte[] subjectAltNames(Set<String> names) {
        List<byte[]> entries = new ArrayList<>();
        for (String n : names) {
            byte[] ip = ipLiteral(n);
            entries.add(ip != null
                    ? Der.implicitPrimitive(7, ip) // iPAddress [7] OCTET STRING
                    : Der.implicitPrimitive(2, n.getBytes(StandardCharsets.US_ASCII))); // dNSName [2] IA5String
        }
        return Der.sequence(entries.toArray(new byte[0][]));
    }

    /** The address bytes of an IPv4 or IPv6 literal, or null for a host name. */
    static byte[] ipLiteral(String name) {
        String n = name.startsWith("[") && name.endsWith("]") ? name.substring(1, name.length() - 1) : name;
        if (!IPV4_LITERAL.matcher(n).matches() && n.indexOf(':') < 0) {
            return null;
        }
        try {
            // Safe: with a literal, getByName only parses, it never asks a resolver.
            return InetAddress.getByName(n).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("malformed IP literal: " + name, e);
        }
    }

    /**
     * {@return the certificate, parsed by the JDK's {@code X.509} factory; its public key
     * matches {@link #privateKey()}} A client trusts it with {@link
     * SslContexts.Builder#trustCertificates}.
     */
    public X509Certificate certificate() {
        return certificate;
    }

    /** {@return the EC P-256 private key; its {@code getEncoded()} is PKCS#8} */
    public PrivateKey privateKey() {
        return privateKey;
    }

    /**
     * {@return the certificate as one PEM {@code CERTIFICATE} block, ending in a newline} The
     * form {@link SslContexts#forServer(Path, Path)}, {@link SslContexts.Builder#trustPem} and
     * {@code openssl x509} read.
     */
    public String certificatePem() {
        try {
            return Pem.encode("CERTIFICATE", certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e); // cannot happen: it was parsed from DER
        }
    }

    /**
     * {@return the key as one unencrypted PKCS#8 PEM {@code PRIVATE KEY} block, ending in a
     * newline} The form {@link SslContexts#forServer(Path, Path)} and {@code openssl} read;
     * anyone who can read the text has the key.
     */
    public String privateKeyPem() {
        return Pem.encode("PRIVATE KEY", privateKey.getEncoded());
    }

    /**
     * Writes {@link #certificatePem()} and {@link #privateKeyPem()} to two files, replacing them.
     * The key file is created readable by its owner only where the file system has POSIX
     * permissions (created so, not narrowed afterwards, to leave no window).
     *
     * @param certificateFile where the certificate goes; created or overwritten
     * @param privateKeyFile where the key goes; deleted first if it exists, then created
     * @throws IOException if a file cannot be deleted, created or written (the certificate
     *     may then be written already)
     */
    public void writePem(Path certificateFile, Path privateKeyFile) throws IOException {
        Files.writeString(certificateFile, certificatePem(), StandardCharsets.US_ASCII);
        Files.deleteIfExists(privateKeyFile);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                && privateKeyFile.getFileSystem() == FileSystems.getDefault()) {
            Files.createFile(privateKeyFile,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(privateKeyFile, privateKeyPem(), StandardCharsets.US_ASCII,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }

    /**
     * An in-memory PKCS#12 key store with one key entry, alias {@value #KEY_STORE_ALIAS}, holding
     * the key and the certificate, protected by {@code password}.
     *
     * @param password the password of both the store and the entry; {@link
     *     SslContexts#forServer(KeyStore, char[])} takes the same one
     * @return a new loaded key store, never written to disk here
     * @throws IllegalStateException if the JDK has no PKCS12 key store type (every JDK 17 has)
     */
    public KeyStore keyStore(char[] password) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, password);
            ks.setKeyEntry(KEY_STORE_ALIAS, privateKey, password, new Certificate[] {certificate});
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a PKCS12 key store", e);
        }
    }

    /** {@return the subject, serial (hex) and expiry, for logs} */
    @Override
    public String toString() {
        return "SelfSignedCertificate[" + certificate.getSubjectX500Principal() + ", serial "
                + certificate.getSerialNumber().toString(16) + ", until " + certificate.getNotAfter().toInstant() + "]";
    }
}
