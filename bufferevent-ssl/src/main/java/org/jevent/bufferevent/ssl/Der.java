package org.jevent.bufferevent.ssl;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The few DER (ITU-T X.690) encoders that an X.509 v3 certificate needs, as plain functions that
 * return finished TLVs. Written here so that {@link SelfSignedCertificate} needs neither
 * BouncyCastle nor the JDK's internal {@code sun.security.x509} classes (which are not exported
 * and change between releases).
 *
 * <p>Invariant: every method returns one complete, definite-length DER element (tag, minimal
 * length, contents); callers build larger structures only by nesting those results, so nothing
 * here ever has to patch a length afterwards.
 */
final class Der {
    static final int BOOLEAN = 0x01;
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int OID = 0x06;
    static final int UTF8_STRING = 0x0c;
    static final int IA5_STRING = 0x16;
    static final int UTC_TIME = 0x17;
    static final int GENERALIZED_TIME = 0x18;
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;

    /** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on. */
    private static final DateTimeFormatter UTC_TIME_FORMAT =
            DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GENERALIZED_TIME_FORMAT =
            DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Instant YEAR_2050 = Instant.parse("2050-01-01T00:00:00Z");

    private Der() {
    }

    /** One element: {@code tag}, the minimal DER length, then the concatenated contents. */
    static byte[] tlv(int tag, byte[]... contents) {
        int length = 0;
        for (byte[] c : contents) {
            length += c.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
        out.write(tag);
        if (length < 0x80) {
            out.write(length);
        } else {
            // Long form: 0x80 | number of length bytes, then the length big-endian, no leading zeros.
            int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        for (byte[] c : contents) {
            out.writeBytes(c);
        }
        return out.toByteArray();
    }

    static byte[] sequence(byte[]... items) {
        return tlv(SEQUENCE, items);
    }

    static byte[] set(byte[]... items) {
        return tlv(SET, items);
    }

    /** Two's complement, minimal: {@link BigInteger#toByteArray()} already is exactly that. */
    static byte[] integer(BigInteger value) {
        return tlv(INTEGER, value.toByteArray());
    }

    static byte[] integer(long value) {
        return integer(BigInteger.valueOf(value));
    }

    static byte[] bool(boolean value) {
        // DER demands 0xFF for TRUE (BER would take any non-zero byte).
        return tlv(BOOLEAN, new byte[] {(byte) (value ? 0xff : 0x00)});
    }

    /** An OBJECT IDENTIFIER from its dotted form, e.g. {@code "1.2.840.10045.4.3.2"}. */
    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        if (arcs.length < 2) {
            throw new IllegalArgumentException("OID needs at least two arcs: " + dotted);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // The first two arcs share one sub-identifier: 40 * first + second.
        writeBase128(out, new BigInteger(arcs[0]).multiply(BigInteger.valueOf(40)).add(new BigInteger(arcs[1])));
        for (int i = 2; i < arcs.length; i++) {
            writeBase128(out, new BigInteger(arcs[i]));
        }
        return tlv(OID, out.toByteArray());
    }

    private static void writeBase128(ByteArrayOutputStream out, BigInteger value) {
        if (value.signum() < 0) {
            throw new IllegalArgumentException("negative OID arc");
        }
        int groups = Math.max(1, (value.bitLength() + 6) / 7);
        for (int i = groups - 1; i >= 0; i--) {
            int seven = value.shiftRight(7 * i).intValue() & 0x7f;
            out.write(i == 0 ? seven : seven | 0x80);
        }
    }

    static byte[] utf8String(String s) {
        return tlv(UTF8_STRING, s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] octetString(byte[] bytes) {
        return tlv(OCTET_STRING, bytes);
    }

    /** A BIT STRING whose first content byte counts the unused low bits of the last byte. */
    static byte[] bitString(byte[] bytes, int unusedBits) {
        byte[] content = new byte[bytes.length + 1];
        content[0] = (byte) unusedBits;
        System.arraycopy(bytes, 0, content, 1, bytes.length);
        return tlv(BIT_STRING, content);
    }

    /** X.509 Time, whole seconds, in the form RFC 5280 requires for the instant's year. */
    static byte[] time(Instant instant) {
        if (instant.isBefore(YEAR_2050)) {
            return tlv(UTC_TIME, UTC_TIME_FORMAT.format(instant).getBytes(StandardCharsets.US_ASCII));
        }
        return tlv(GENERALIZED_TIME, GENERALIZED_TIME_FORMAT.format(instant).getBytes(StandardCharsets.US_ASCII));
    }

    /** {@code [n] EXPLICIT}: a constructed context-specific wrapper around complete elements. */
    static byte[] explicit(int n, byte[]... content) {
        return tlv(0xa0 | n, content);
    }

    /** {@code [n] IMPLICIT} of a primitive type: the raw contents under a context-specific tag. */
    static byte[] implicitPrimitive(int n, byte[] rawContent) {
        return tlv(0x80 | n, rawContent);
    }
}
