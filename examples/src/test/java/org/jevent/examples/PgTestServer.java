package org.jevent.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jevent.bufferevent.ssl.SelfSignedCertificate;

/**
 * A throw-away PostgreSQL server for the proxy tests: initdb in a temporary directory (trust
 * authentication), TCP on a free 127.0.0.1 port, its Unix socket in that directory, ssl=on with
 * a certificate made here, stopped and deleted by {@link #close()} (not AutoCloseable: one
 * server lives for a whole test class, from {@code @BeforeAll} to {@code @AfterAll}).
 *
 * <p>PostgreSQL refuses to run as root. When the tests run as root (containers, CI), initdb and
 * pg_ctl run as the {@code postgres} system user that the Debian package creates, through
 * {@code runuser}, and the directory is handed to that user. A missing installation is a test
 * failure naming {@code .ci/run}, which installs it; it is never a silent skip.
 */
final class PgTestServer {
    private static final Path PG_LIB = Path.of("/usr/lib/postgresql");
    private static final long COMMAND_SECONDS = 60;

    final Path dir;
    final Path data;
    final int port;
    /** The server's certificate (SANs localhost and 127.0.0.1), also usable as a CA file. */
    final Path certPem;
    private final Path bin;
    private final boolean asPostgresUser;
    private long pid = -1;

    private PgTestServer(Path bin, Path dir, boolean asPostgresUser, int port) {
        this.bin = bin;
        this.dir = dir;
        this.data = dir.resolve("data");
        this.asPostgresUser = asPostgresUser;
        this.port = port;
        this.certPem = dir.resolve("server.crt");
    }

    /** The newest {@code /usr/lib/postgresql/N/bin} holding initdb and pg_ctl, or a failure saying how to get one. */
    static Path findBin() {
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(PG_LIB)) {
            try (DirectoryStream<Path> versions = Files.newDirectoryStream(PG_LIB)) {
                for (Path v : versions) {
                    Path b = v.resolve("bin");
                    if (Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl"))) {
                        found.add(b);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Optional<Path> newest = found.stream().max(Comparator.comparing(PgTestServer::majorVersion));
        if (newest.isEmpty()) {
            throw new AssertionError("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
                    + "the pg-tls-proxy tests need a real server. Run .ci/run, which installs the Debian package "
                    + "'postgresql' when it is missing, or apt-get install postgresql.");
        }
        return newest.get();
    }

    private static double majorVersion(Path bin) {
        try {
            return Double.parseDouble(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The psql command: /usr/bin/psql (Debian's wrapper) or the one next to the server. */
    static String psql() {
        if (Files.isExecutable(Path.of("/usr/bin/psql"))) {
            return "/usr/bin/psql";
        }
        Path p = findBin().resolve("psql");
        if (Files.isExecutable(p)) {
            return p.toString();
        }
        throw new AssertionError("psql not found: run .ci/run (installs the Debian package 'postgresql')");
    }

    static PgTestServer start() throws Exception {
        Path bin = findBin();
        boolean root = "0".equals(capture(List.of("id", "-u"), null).trim());
        if (root && !capture(List.of("id", "-u", "postgres"), null).trim().matches("\\d+")) {
            throw new AssertionError("running as root, and there is no 'postgres' user to run the server as "
                    + "(the Debian package 'postgresql' creates it; see .ci/run)");
        }
        // Under /tmp (not a JUnit @TempDir, which may sit in a directory the postgres user cannot
        // enter), and short: the Unix socket path must fit in 107 bytes.
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "jevent-pg");
        PgTestServer pg = new PgTestServer(bin, dir, root, freePort());
        try {
            pg.init();
            return pg;
        } catch (Exception | AssertionError e) {
            pg.close();
            throw e;
        }
    }

    private void init() throws Exception {
        if (asPostgresUser) {
            run(List.of("chown", "postgres:postgres", dir.toString()), false);
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--no-sync"), true);
        SelfSignedCertificate cert = SelfSignedCertificate.generate();
        Path key = dir.resolve("server.key");
        cert.writePem(certPem, key); // the key file is created 0600, as the server demands
        if (asPostgresUser) {
            // ... and owned by the server's user.
            run(List.of("chown", "postgres:postgres", certPem.toString(), key.toString()), false);
        }
        String conf = String.join("\n", "",
                "# added by PgTestServer",
                "port = " + port,
                "listen_addresses = '127.0.0.1'",
                "unix_socket_directories = '" + dir + "'",
                "ssl = on",
                "ssl_cert_file = '" + certPem + "'",
                "ssl_key_file = '" + key + "'",
                "fsync = off",
                "max_connections = 20",
                "shared_buffers = 16MB",
                "");
        // Appending keeps the file's owner (the postgres user when we are root).
        Files.writeString(data.resolve("postgresql.conf"), conf, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        // -w: pg_ctl waits for postmaster.pid to say "ready" (no connection needed); -t bounds it.
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(),
                "-w", "-t", "30", "start"), true);
        pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    }

    /** The server log, for failure messages. */
    String log() {
        try {
            Path l = dir.resolve("server.log");
            return Files.exists(l) ? Files.readString(l) : "(no server log)";
        } catch (IOException e) {
            return "(server log unreadable: " + e + ")";
        }
    }

    /** Stops the server (immediate mode, then by its PID if needed) and deletes the directory. */
    void close() throws Exception {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                try {
                    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "-t",
                            "10", "stop"), true);
                } catch (AssertionError | IOException e) {
                    // the PID check below finishes the job
                }
            }
            if (pid > 0) {
                Optional<ProcessHandle> p = ProcessHandle.of(pid);
                if (p.isPresent() && p.get().isAlive()) {
                    new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
                    p.get().onExit().get(5, TimeUnit.SECONDS);
                }
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** Runs a command (as the postgres user if {@code asServerUser} and we are root); fails with its output. */
    private void run(List<String> command, boolean asServerUser) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (asServerUser && asPostgresUser) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(command);
        String out = capture(cmd, dir);
        if (out.startsWith("\u0000exit ")) {
            throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out.substring(1) + "\nserver log:\n" + log());
        }
    }

    /**
     * Runs {@code cmd} with stdout and stderr merged, bounded in time; returns its output, or
     * the output prefixed by {@code "\0exit N\n"} when it failed.
     */
    private static String capture(List<String> cmd, Path cwd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (cwd != null) {
            pb.directory(cwd.toFile()); // initdb complains when it cannot enter the current directory
        }
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("PG"));
        env.put("LC_ALL", "C");
        Process p = pb.start();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                out[0] = in.readAllBytes();
            } catch (IOException e) {
                out[0] = new byte[0];
            }
        });
        reader.setDaemon(true);
        reader.start();
        if (!p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " still running after " + COMMAND_SECONDS + " s");
        }
        reader.join(5000);
        String text = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
        return p.exitValue() == 0 ? text : "\u0000exit " + p.exitValue() + "\n" + text;
    }
}
