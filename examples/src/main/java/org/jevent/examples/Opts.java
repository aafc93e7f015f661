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
 * A small command-line parser shared by the examples: {@code --name value}, {@code --flag} and
 * single-dash short flags (time-test's {@code -p}). Unknown options are an error, reported with
 * the usage text, as the C samples do with {@code getopt}.
 */
final class Opts {
    private final Map<String, Boolean> known = new LinkedHashMap<>(); // name -> takes a value
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> flags = new ArrayList<>();
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

    /** Parses {@code args}; throws {@link IllegalArgumentException} naming the bad option. */
    Opts parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            Boolean takesValue = known.get(a);
            if (takesValue == null) {
                throw new IllegalArgumentException("unknown option '" + a + "'");
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
