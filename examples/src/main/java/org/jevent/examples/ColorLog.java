package org.jevent.examples;

import java.io.PrintStream;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The message panes of Qt's DTLS example windows on a terminal: errors, warnings and information
 * each on one line with a word in front ({@code error:}, {@code warning:}, {@code info:}) that
 * tells them apart in any output, and each in its own ANSI colour when colour is on (red, yellow,
 * blue; a received datagram block in magenta). {@code --color auto|always|never}: auto means on
 * only when the output is this process's stdout, stdout is a terminal ({@link System#console()})
 * and {@code NO_COLOR} is not set, so piped output is plain text.
 *
 * <p>Text that came from the network is printed with control characters escaped ({@code \xNN}):
 * a peer must not be able to drive the terminal with escape sequences.
 *
 * <p>Invariant: with colour off nothing but printable text and newlines is written.
 */
final class ColorLog {
    private static final String RESET = "\u001b[0m";
    private static final String RED = "\u001b[31m";
    private static final String YELLOW = "\u001b[33m";
    private static final String BLUE = "\u001b[34m";
    private static final String MAGENTA = "\u001b[35m";
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    private final PrintStream out;
    private final boolean color;

    ColorLog(PrintStream out, boolean color) {
        this.out = out;
        this.color = color;
    }

    /**
     * {@code --color}: always, never, or auto (see the class comment).
     *
     * @throws IllegalArgumentException for any other value
     */
    static boolean colorWanted(String mode, PrintStream out) {
        return switch (mode.toLowerCase(Locale.ROOT)) {
            case "always" -> true;
            case "never" -> false;
            case "auto" -> out == System.out && System.console() != null && System.getenv("NO_COLOR") == null;
            default -> throw new IllegalArgumentException("--color wants auto, always or never, not '" + mode + "'");
        };
    }

    void info(String text) {
        line(BLUE, "info: ", text);
    }

    void warning(String text) {
        line(YELLOW, "warning: ", text);
    }

    void error(String text) {
        line(RED, "error: ", text);
    }

    /**
     * One received datagram as Qt's windows show it: a rule, who it came from, the DTLS datagram
     * in hex (bytes separated by spaces, as {@code QByteArray::toHex(' ')}), and the plain text.
     */
    void datagram(String title, byte[] datagram, byte[] plaintext) {
        StringBuilder b = new StringBuilder();
        b.append("---------------\n").append(title).append('\n');
        b.append("DTLS datagram (").append(datagram.length).append(" bytes):\n ").append(HEX.formatHex(datagram)).append('\n');
        b.append("as plain text:\n ").append(printable(plaintext));
        if (color) {
            out.println(MAGENTA + b + RESET);
        } else {
            out.println(b);
        }
        out.flush();
    }

    private void line(String colour, String word, String text) {
        out.println(color ? colour + word + text + RESET : word + text);
        out.flush();
    }

    /** Latin-1 text with control characters (and DEL) shown as {@code \xNN}. */
    static String printable(byte[] text) {
        StringBuilder b = new StringBuilder(text.length);
        for (byte x : text) {
            int c = x & 0xff;
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.append((char) c);
            }
        }
        return b.toString();
    }
}
