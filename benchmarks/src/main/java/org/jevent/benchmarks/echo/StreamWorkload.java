package org.jevent.benchmarks.echo;

import java.util.List;
import java.util.function.Function;

/**
 * One of the two stream workloads: its name on the command line, its shape ({@code conns}
 * connections each keeping {@code depth} messages of {@code size} bytes in flight), and how the
 * per-round tables read it ({@link LoopCurve}, {@link JfrCost}): its column title, the unit of
 * its rate (64 B messages, or MB) and where a row keeps its window.
 */
record StreamWorkload(String name, int conns, int size, int depth, String title, double bytesPerUnit,
        Function<Report.Row, StreamLoad.Run> run) {
    /** 50 connections × 64 B × 16 in flight, messages/s. */
    static final StreamWorkload SMALL = new StreamWorkload("small", 50, 64, 16, "64B msg/s", 64, r -> r.small);
    /** 10 connections × 64 KiB × 1 in flight, MB/s. */
    static final StreamWorkload LARGE = new StreamWorkload("large", 10, 64 * 1024, 1, "64K MB/s", 1e6, r -> r.large);
    static final List<StreamWorkload> BOTH = List.of(SMALL, LARGE);

    /** {@code small} or {@code large}; anything else is an IllegalArgumentException naming both. */
    static StreamWorkload named(String name) {
        return BOTH.stream().filter(w -> w.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("workload small or large, not " + name));
    }

    /** The window of {@code row}, or null (no row, or this workload did not run). */
    StreamLoad.Run of(Report.Row row) {
        return row == null ? null : run.apply(row);
    }

    /** Messages or MB per wall second. */
    double rate(StreamLoad.Run r) {
        return r.bytes() / bytesPerUnit / r.seconds();
    }

    /** Messages or MB per CPU-second of the whole server process. */
    double perCpu(StreamLoad.Run r) {
        return r.bytes() / bytesPerUnit / r.serverCpuSeconds();
    }
}
