package org.jevent.benchmarks.echo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.jevent.benchmarks.echo.CpuSplit.Part;
import org.junit.jupiter.api.Test;

/** How {@link CpuSplit} counts a {@code perf report} listing by part. */
class CpuSplitTest {
    /** Lines as {@code perf report --no-children --sort dso,sym -F sample,dso,sym --stdio} prints them. */
    private static final String REPORT = """
            # To display the perf.data header info, please use --header/--header-only options.
            #
            # Samples: 24K of event 'cpu-clock'
            #
            # Samples  Shared Object         Symbol
            # .......  ....................  ..............................
            #
                  7029  [kernel.kallsyms]     [k] _copy_from_iter
                  2820  [kernel.kallsyms]     [k] _copy_to_iter
                   113  [kernel.kallsyms]     [k] rep_movs_alternative
                   902  [kernel.kallsyms]     [k] _raw_spin_unlock_irqrestore
                   321  [kernel.kallsyms]     [k] tcp_sendmsg_locked
                   410  [JIT] tid 7541        [.] 0x00007f3c1d2a41b0
                    12  perf-7541.map         [.] 0x00007f3c1d2a4000
                     3  [unknown]             [.] 0x00007f3c1d2a5000
                    90  libc.so.6             [.] __GI___readv
                    17  libnio.so             [.] Java_sun_nio_ch_SocketDispatcher_readv0
                     5  [vdso]                [.] __vdso_clock_gettime

            #
            # (Tip: For a higher level overview, try: perf report --sort comm,dso)
            #
            """;

    @Test
    void countsEverySampleInItsPart() {
        CpuSplit.Samples s = CpuSplit.parseReport(REPORT);
        assertEquals(7029 + 2820 + 113, s.of(Part.COPY));
        assertEquals(902 + 321, s.of(Part.KERNEL));
        assertEquals(410 + 12 + 3, s.of(Part.JIT));
        assertEquals(90 + 17 + 5, s.of(Part.NATIVE));
        assertEquals(7029 + 2820 + 113 + 902 + 321 + 410 + 12 + 3 + 90 + 17 + 5, s.total());
    }

    @Test
    void aKernelSymbolNamedLikeACopyOnlyAtItsEndIsNotACopy() {
        assertEquals(Part.KERNEL, CpuSplit.partOf("[kernel.kallsyms]     [k] skb_copy_datagram_iter"));
        assertEquals(Part.COPY, CpuSplit.partOf("[kernel.kallsyms]     [k] copy_user_enhanced_fast_string"));
    }

    @Test
    void aLineWithoutACountIsAnErrorNotASilentZero() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuSplit.parseReport("     7.03%  [kernel.kallsyms]  [k] _copy_from_iter\n"));
        assertEquals("not a perf report line:      7.03%  [kernel.kallsyms]  [k] _copy_from_iter", e.getMessage());
    }
}
