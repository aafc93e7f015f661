package org.jevent.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;
import java.util.function.UnaryOperator;

/**
 * A small command-line parser shared by the examples: {@code --name value}, {@code --flag},
 * single-dash short flags (time-test's {@code -p}) and, for ports of C programs that use
 * {@code getopt}, its short-option forms: a value after a space or attached ({@code -p 8080},
 * {@code -p8080}), flags grouped ({@code -lkS}), options anywhere among the arguments (GNU
 * getopt's permutation) and {@code --} ending the options. Arguments that are not options are
 * positional, up to as many as {@link #positional} declared. Unknown options are an error,
 * reported with the usage text, as the C samples do with {@code getopt}.
 */
final class Opts {
    private final Map<String, Boolean> known = new LinkedHashMap<>(); // name -> takes a value
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> flags = new ArrayList<>();
    private final List<String> positionalNames = new ArrayList<>();
    private final List<String> positionals = new ArrayList<>();
    private final String usage;

    Opts(String usage) {
        this.usage = usage;
    }

    Opts value(String... names) {
        for (String n : names) {
            known.put(n, true);
        }
        return this;
    }

    Opts flag(String... names) {
        for (String n : names) {
            known.put(n, false);
        }
        return this;
    }

    /**
     * Declares positional arguments, in order (names for messages only): at most that many are
     * accepted; whether fewer will do is for the example's check to say.
     */
    Opts positional(String... names) {
        positionalNames.addAll(List.of(names));
        return this;
    }

    /** Parses {@code args}; throws {@link IllegalArgumentException} naming the bad option. */
    Opts parse(String[] args) {
        boolean optionsEnded = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (optionsEnded || a.equals("-") || !a.startsWith("-")) {
                addPositional(a);
                continue;
            }
            if (a.equals("--")) {
                optionsEnded = true; // getopt: everything after "--" is positional
                continue;
            }
            Boolean takesValue = known.get(a);
            if (takesValue == null) {
                if (a.startsWith("--") || !known.containsKey(a.substring(0, 2))) {
                    throw new IllegalArgumentException("unknown option '" + a + "'");
                }
                i = parseShortGroup(args, i);
                continue;
            }
            if (takesValue) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + a + " needs a value");
                }
                values.put(a, args[++i]);
            } else {
                flags.add(a);
            }
        }
        return this;
    }

    /**
     * getopt's short forms in {@code args[i]}: grouped flags ({@code -lk}) and a value attached to
     * its option ({@code -p8080}) or, if it ends the group, in the next argument. Returns the
     * index of the last argument used.
     */
    private int parseShortGroup(String[] args, int i) {
        String a = args[i];
        for (int k = 1; k < a.length(); k++) {
            String name = "-" + a.charAt(k);
            Boolean takesValue = known.get(name);
            if (takesValue == null) {
                throw new IllegalArgumentException("unknown option '" + name + "' (in '" + a + "')");
            }
            if (!takesValue) {
                flags.add(name);
                continue;
            }
            if (k + 1 < a.length()) {
                values.put(name, a.substring(k + 1));
                return i;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + name + " needs a value");
            }
            values.put(name, args[i + 1]);
            return i + 1;
        }
        return i;
    }

    private void addPositional(String a) {
        if (positionals.size() >= positionalNames.size()) {
            throw new IllegalArgumentException(positionalNames.isEmpty() ? "unknown option '" + a + "'"
                    : "unexpected argument '" + a + "' (at most " + positionalNames.size() + ": "
                            + String.join(", ", positionalNames) + ")");
        }
        positionals.add(a);
    }

    /**
     * Runs one example's command line the way every example does: {@code --help} prints the
     * usage (exit 0); options not declared by {@code declare}, missing values, and anything
     * {@code check} rejects print the reason and the usage (exit 2, as getopt's callers do);
     * otherwise {@code main} runs with the parsed options and its result is the exit status.
     * {@code check} should read every numeric option, so that a bad number is a usage error and
     * never surfaces from {@code main}.
     */
    static int runExample(String name, String usage, String[] args, PrintStream out, UnaryOperator<Opts> declare,
            Consumer<Opts> check, ToIntFunction<Opts> main) {
        if (wantsHelp(args)) {
            out.println(usage);
            return 0;
        }
        Opts opts;
        try {
            opts = declare.apply(new Opts(usage)).parse(args);
            check.accept(opts);
        } catch (IllegalArgumentException e) {
            out.println(name + ": " + e.getMessage());
            out.println(usage);
            return 2;
        }
        return main.applyAsInt(opts);
    }

    static boolean wantsHelp(String[] args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    String usage() {
        return usage;
    }

    boolean has(String name) {
        return flags.contains(name) || values.containsKey(name);
    }

    /** How many times a flag was given ({@code -v -v}, {@code -vv}): getopt callers count them. */
    int count(String name) {
        int n = 0;
        for (String f : flags) {
            if (f.equals(name)) {
                n++;
            }
        }
        return n;
    }

    /** The positional arguments given, in order. */
    List<String> positionals() {
        return List.copyOf(positionals);
    }

    String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    int getInt(String name, int dflt) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + name + " wants a number, not '" + v + "'");
        }
    }

    double getDouble(String name, double dflt) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + name + " wants a number, not '" + v + "'");
        }
    }
}
