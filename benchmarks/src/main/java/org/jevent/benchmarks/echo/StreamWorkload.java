package org.jevent.benchmarks.echo;

import java.util.List;
import java.util.function.Function;

/**
 * One of the two stream workloads as the per-round tables read it ({@link LoopCurve},
 * {@link JfrCost}): its column title, the unit of its rate (64 B messages, or MB) and where a
 * row keeps its window.
 */
record StreamWorkload(String title, double bytesPerUnit, Function<Report.Row, StreamLoad.Run> run) {
    /** {@code small} (50 × 64 B, messages/s) and {@code large} (10 × 64 KiB, MB/s). */
    static final List<StreamWorkload> BOTH = List.of(
            new StreamWorkload("64B msg/s", 64, r -> r.small),
            new StreamWorkload("64K MB/s", 1e6, r -> r.large));

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
