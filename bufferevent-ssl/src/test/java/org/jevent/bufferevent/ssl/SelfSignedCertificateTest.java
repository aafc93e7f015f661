package org.jevent.bufferevent.ssl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfSignedCertificateTest {
    @TempDir
    Path dir;

    @Test
    void certificateParsesAndVerifiesWithItsOwnKey() throws Exception {
        Instant before = Instant.now();
        SelfSignedCertificate ssc = SelfSignedCertificate.generate();
        X509Certificate c = ssc.certificate();
        c.verify(c.getPublicKey());
        c.checkValidity();
        assertEquals(3, c.getVersion());
        assertEquals("SHA256withECDSA", c.getSigAlgName());
        assertEquals("1.2.840.10045.4.3.2", c.getSigAlgOID());
        assertEquals("CN=localhost", c.getSubjectX500Principal().getName());
        assertEquals(c.getSubjectX500Principal(), c.getIssuerX500Principal());
        assertEquals(256, ((ECPublicKey) c.getPublicKey()).getParams().getCurve().getField().getFieldSize());
        assertTrue(c.getSerialNumber().signum() > 0);

        // now - 1 h .. now + 7 days, to the second
        assertTrue(!c.getNotBefore().toInstant().isAfter(before.minus(Duration.ofMinutes(59))));
        assertTrue(c.getNotBefore().toInstant().isAfter(before.minus(Duration.ofMinutes(61))));
        Duration life = Duration.between(before, c.getNotAfter().toInstant());
        assertTrue(life.compareTo(Duration.ofDays(7).minusMinutes(1)) > 0 && life.compareTo(Duration.ofDays(7).plusMinutes(1)) < 0,
                life.toString());

        // The private key signs what the certificate's public key verifies.
        byte[] data = "proof".getBytes(StandardCharsets.US_ASCII);
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(ssc.privateKey());
        s.update(data);
        byte[] sig = s.sign();
        s.initVerify(c);
        s.update(data);
        assertTrue(s.verify(sig));
    }

    @Test
    void extensions() throws Exception {
        X509Certificate c = SelfSignedCertificate.generate("server.example.test", 2, "alt.example.test", "10.1.2.3", "::1")
                .certificate();
        assertEquals("CN=server.example.test", c.getSubjectX500Principal().getName());
        List<List<Object>> expected = List.of(List.of(2, "localhost"), List.of(7, "127.0.0.1"),
                List.of(2, "server.example.test"), List.of(2, "alt.example.test"), List.of(7, "10.1.2.3"),
                List.of(7, "0:0:0:0:0:0:0:1"));
        Collection<List<?>> sans = c.getSubjectAlternativeNames();
        List<List<Object>> actual = new ArrayList<>();
        for (List<?> san : sans) {
            actual.add(List.of(san.get(0), san.get(1)));
        }
        assertEquals(expected, actual);
        assertEquals(-1, c.getBasicConstraints(), "not a CA");
        boolean[] ku = c.getKeyUsage();
        assertTrue(ku[0], "digitalSignature");
        for (int i = 1; i < ku.length; i++) {
            assertTrue(!ku[i], "only digitalSignature, bit " + i);
        }
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), c.getExtendedKeyUsage());
        assertTrue(c.getCriticalExtensionOIDs().containsAll(List.of("2.5.29.19", "2.5.29.15")));
        assertTrue(c.getNonCriticalExtensionOIDs().containsAll(List.of("2.5.29.17", "2.5.29.37")));
    }

    /**
     * An internationalized host name goes into the subjectAltName as its IDNA A-labels (it was
     * "b?cher.example"), the common name keeps its text, and a client of each provider checking
     * the A-label name, as clients send and compare it, accepts the certificate.
     */
    @Test
    void internationalizedNamesBecomeALabels() throws Exception {
        SelfSignedCertificate ssc = SelfSignedCertificate.generate("bücher.example", 1, "münchen.example",
                "xn--bcher-kva.example");
        X509Certificate c = ssc.certificate();
        assertEquals("bücher.example", c.getSubjectX500Principal().getName().substring("CN=".length()));
        List<Object> sans = new ArrayList<>();
        for (List<?> san : c.getSubjectAlternativeNames()) {
            sans.add(san.get(1));
        }
        assertEquals(List.of("localhost", "127.0.0.1", "xn--bcher-kva.example", "xn--mnchen-3ya.example"), sans,
                "A-labels, the duplicate given in both forms once");
        for (SslProvider p : SslProvider.values()) {
            SslContexts server = SslContexts.forServer(ssc).provider(p).build();
            SslContexts client = SslContexts.forClient().provider(p).trustCertificates(c).build();
            SslContextsHandshake.run(client.newClientEngine("xn--bcher-kva.example", 443), server.newServerEngine())
                    .echo(p.name());
        }
    }

    /** A host name IDNA cannot encode is refused, naming it and why, instead of being written with '?'s. */
    @Test
    void hostNamesIdnaCannotEncodeAreRefused() {
        for (String bad : List.of("ü".repeat(60) + ".example", "\uD83E\uDD80.example", "a..example")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SelfSignedCertificate.generate("localhost", 1, bad));
            assertTrue(e.getMessage().contains("\"" + bad + "\"") && e.getMessage().contains("IDNA"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> SelfSignedCertificate.generate("\uD83E\uDD80.example", 1));
    }

    @Test
    void eachCertificateIsNew() {
        SelfSignedCertificate a = SelfSignedCertificate.generate();
        SelfSignedCertificate b = SelfSignedCertificate.generate();
        assertNotEquals(a.certificate().getSerialNumber(), b.certificate().getSerialNumber());
        assertNotEquals(a.certificate().getPublicKey(), b.certificate().getPublicKey());
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SelfSignedCertificate.generate("", 1));
        assertThrows(IllegalArgumentException.class, () -> SelfSignedCertificate.generate("x", 0));
        assertThrows(IllegalArgumentException.class, () -> SelfSignedCertificate.generate("x", 1, "1:2:3:zz::"));
    }

    @Test
    void pemRoundTrip() throws Exception {
        SelfSignedCertificate ssc = SelfSignedCertificate.generate();
        String certPem = ssc.certificatePem();
        assertTrue(certPem.startsWith("-----BEGIN CERTIFICATE-----\n") && certPem.endsWith("-----END CERTIFICATE-----\n"));
        for (String line : certPem.split("\n")) {
            assertTrue(line.length() <= 64, line);
        }
        X509Certificate back = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(certPem.getBytes(StandardCharsets.US_ASCII)));
        assertEquals(ssc.certificate(), back);

        String keyPem = ssc.privateKeyPem();
        assertTrue(keyPem.startsWith("-----BEGIN PRIVATE KEY-----\n") && keyPem.endsWith("-----END PRIVATE KEY-----\n"));
        String body = keyPem.replaceAll("-----[A-Z ]+-----", "").replace("\n", "");
        PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
        assertArrayEquals(ssc.privateKey().getEncoded(), key.getEncoded());

        Path cert = dir.resolve("c.pem");
        Path k = dir.resolve("k.pem");
        ssc.writePem(cert, k);
        assertEquals(certPem, Files.readString(cert));
        assertEquals(keyPem, Files.readString(k));
        if (Files.getFileStore(k).supportsFileAttributeView("posix")) {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(k)));
        }
    }

    @Test
    void keyStoreHoldsKeyAndCertificate() throws Exception {
        SelfSignedCertificate ssc = SelfSignedCertificate.generate();
        char[] pw = "pw".toCharArray();
        KeyStore ks = ssc.keyStore(pw);
        assertEquals(List.of(SelfSignedCertificate.KEY_STORE_ALIAS), java.util.Collections.list(ks.aliases()));
        assertEquals(ssc.privateKey(), ks.getKey(SelfSignedCertificate.KEY_STORE_ALIAS, pw));
        assertEquals(ssc.certificate(), ks.getCertificate(SelfSignedCertificate.KEY_STORE_ALIAS));
    }

    /** An independent DER parser agrees: openssl reads the certificate and the key. */
    @Test
    void opensslReadsTheCertificateAndKey() throws Exception {
        File openssl = SslContextsTest.findOpenssl();
        assertNotNull(openssl, "no `openssl` command on the PATH: .ci/run installs it (Debian package openssl)");
        SelfSignedCertificate ssc = SelfSignedCertificate.generate();
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        ssc.writePem(cert, key);
        String text = run(openssl.getPath(), "x509", "-in", cert.toString(), "-noout", "-text");
        assertTrue(text.contains("DNS:localhost"), text);
        assertTrue(text.contains("IP Address:127.0.0.1"), text);
        assertTrue(text.contains("TLS Web Server Authentication, TLS Web Client Authentication"), text);
        assertTrue(text.contains("CA:FALSE"), text);
        String verify = run(openssl.getPath(), "verify", "-CAfile", cert.toString(), cert.toString());
        assertTrue(verify.contains(": OK"), verify);
        String pub1 = run(openssl.getPath(), "x509", "-in", cert.toString(), "-noout", "-pubkey");
        String pub2 = run(openssl.getPath(), "pkey", "-in", key.toString(), "-pubout");
        assertEquals(pub1, pub2);
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + List.of(cmd));
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
