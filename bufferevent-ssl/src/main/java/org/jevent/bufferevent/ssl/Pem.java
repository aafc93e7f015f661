package org.jevent.bufferevent.ssl;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading and writing the PEM (RFC 7468) blocks this package deals in: {@code CERTIFICATE} and
 * unencrypted PKCS#8 {@code PRIVATE KEY}. Other key formats are recognised only to refuse them
 * with the {@code openssl} command that converts them, because "cannot parse key" with no hint is
 * the classic dead end of TLS configuration in Java.
 *
 * <p>Invariant: stateless; every parse either returns complete objects or throws an exception
 * whose message names the file and what to do.
 */
final class Pem {
    /** Labels and contents; text outside blocks (openssl's "Bag Attributes", comments) is ignored. */
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final Base64.Encoder ENCODER =
            Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));

    private Pem() {
    }

    /** One block, lines of 64 characters, ending with a newline. */
    static String encode(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + ENCODER.encodeToString(der) + "\n-----END " + label + "-----\n";
    }

    /** One decoded block. */
    record Block(String label, byte[] der) {
    }

    static List<Block> parse(String text, String source) throws InvalidKeySpecException {
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            if (body.indexOf(':') >= 0) {
                // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...") mean a legacy
                // encrypted key; the MIME decoder would silently skip the ':' and return garbage.
                throw new InvalidKeySpecException(source + ": the " + m.group(1)
                        + " block is encrypted (PEM headers present); only unencrypted PKCS#8 is read. "
                        + convertHint(source));
            }
            try {
                blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body)));
            } catch (IllegalArgumentException e) {
                throw new InvalidKeySpecException(source + ": bad base64 in the " + m.group(1) + " block", e);
            }
        }
        return blocks;
    }

    static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.US_ASCII);
    }

    /** All CERTIFICATE blocks of a file, in file order (leaf first for a chain file). */
    static List<X509Certificate> readCertificates(Path file) throws IOException, GeneralSecurityException {
        List<X509Certificate> certs = new ArrayList<>();
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (Block b : parse(read(file), file.toString())) {
            // "X509 CERTIFICATE" is the pre-RFC 7468 spelling some old tools still write.
            if (b.label().equals("CERTIFICATE") || b.label().equals("X509 CERTIFICATE")) {
                certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
            }
        }
        if (certs.isEmpty()) {
            throw new CertificateException(file + ": no \"-----BEGIN CERTIFICATE-----\" block found");
        }
        return certs;
    }

    /**
     * The one private key of a file, which must be unencrypted PKCS#8 ({@code PRIVATE KEY}).
     *
     * @param algorithmHint the algorithm to try first (the certificate's public key algorithm),
     *     or null; PKCS#8 names the algorithm inside, but trying the likely factory first avoids
     *     parsing the structure ourselves
     */
    static PrivateKey readPrivateKey(Path file, String algorithmHint) throws IOException, GeneralSecurityException {
        String source = file.toString();
        for (Block b : parse(read(file), source)) {
            switch (b.label()) {
                case "PRIVATE KEY":
                    return pkcs8(b.der(), algorithmHint, source);
                case "RSA PRIVATE KEY":
                    throw new InvalidKeySpecException(source + " holds a PKCS#1 \"RSA PRIVATE KEY\"; "
                            + "only PKCS#8 \"PRIVATE KEY\" is read. " + convertHint(source));
                case "EC PRIVATE KEY":
                    throw new InvalidKeySpecException(source + " holds a SEC 1 \"EC PRIVATE KEY\"; "
                            + "only PKCS#8 \"PRIVATE KEY\" is read. " + convertHint(source));
                case "ENCRYPTED PRIVATE KEY":
                    throw new InvalidKeySpecException(source + " holds an encrypted PKCS#8 key; "
                            + "only unencrypted keys are read (keep the file readable by the server only). "
                            + convertHint(source));
                default:
                    // certificates or parameters (e.g. "EC PARAMETERS") before the key: skip
            }
        }
        throw new InvalidKeySpecException(source + ": no \"-----BEGIN PRIVATE KEY-----\" block found");
    }

    private static String convertHint(String source) {
        return "Convert it with: openssl pkcs8 -topk8 -nocrypt -in " + source + " -out key-pkcs8.pem";
    }

    private static PrivateKey pkcs8(byte[] der, String hint, String source) throws InvalidKeySpecException {
        Set<String> algorithms = new LinkedHashSet<>();
        if (hint != null) {
            algorithms.add(hint);
        }
        algorithms.add("EC");
        algorithms.add("RSA");
        algorithms.add("RSASSA-PSS");
        algorithms.add("EdDSA");
        InvalidKeySpecException first = null;
        for (String algorithm : algorithms) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException e) {
                if (first == null) {
                    first = new InvalidKeySpecException(source + ": not a PKCS#8 key of a known algorithm "
                            + algorithms, e);
                }
            }
        }
        throw first;
    }
}
