package org.jevent.eventbase;

/**
 * The one switch for jevent's observability hooks in every module: {@code -Djevent.jfr=false}
 * (any case) compiles them out of the JVM: JFR event types never registered, no event built, no
 * loop-stall detector and none of its bookkeeping per callback and per turn, no creation time
 * noted per bufferevent. For a JVM that wants none of it, and for the benchmark that measures what
 * the hooks cost with no recording running (benchmarks/PERF-NOTES.md, "JFR hooks: cost with JFR
 * off"). Unset or any other value: everything as documented.
 *
 * <p>Invariant: {@link #ON} is read once, at class load, into a {@code static final} the JIT
 * folds, so a site it guards costs nothing either way; every module reads it here, so they never
 * disagree.
 */
public final class JfrHooks {
    /** The system property: {@code false} turns the hooks off. */
    public static final String PROPERTY = "jevent.jfr";
    /** False when {@code -Djevent.jfr=false}: every hook is compiled out. */
    public static final boolean ON = !"false".equalsIgnoreCase(System.getProperty(PROPERTY));
    /** The hooks are on and the runtime has the {@code jdk.jfr} module, so events may be recorded. */
    public static final boolean AVAILABLE = ON && ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    private JfrHooks() {
    }
}
