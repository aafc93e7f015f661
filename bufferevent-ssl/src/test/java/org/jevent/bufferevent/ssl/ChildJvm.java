package org.jevent.bufferevent.ssl;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a test's main class in a fresh JVM on this one's class path, for what must start with a JVM (system properties read once, logging set up). */
final class ChildJvm {
    /** How the child ended and what it wrote (standard output and error, merged). */
    record Result(int exit, String output) {
    }

    private ChildJvm() {
    }

    /** Runs {@code main} with {@code jvmOptions}; the child is killed if it has not ended {@code seconds} after its output closed. */
    static Result run(Class<?> main, int seconds, String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(jvmOptions));
        cmd.add(main.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            out = buf.toString(StandardCharsets.UTF_8);
        } finally {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        return new Result(p.waitFor(), out);
    }
}
