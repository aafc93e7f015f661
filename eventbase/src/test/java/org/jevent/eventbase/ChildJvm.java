package org.jevent.eventbase;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Runs a test's main class in a fresh JVM whose class path lacks SLF4J's binding (SLF4J then falls back to NOP). */
final class ChildJvm {
    /** What the child did. */
    record Result(int exit, String out, String err) {
    }

    private ChildJvm() {
    }

    /** Runs {@code main} with {@code jvmOptions}, bounded to 30 s; the child is killed if it overruns. */
    static Result runWithoutSlf4jBinding(Class<?> main, String... jvmOptions) throws Exception {
        String cp = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("slf4j-simple"))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", cp, main.getName()));
        Process p = new ProcessBuilder(cmd).start();
        try {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child JVM did not finish");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.exitValue(), out, err);
        } finally {
            p.destroyForcibly();
        }
    }
}
