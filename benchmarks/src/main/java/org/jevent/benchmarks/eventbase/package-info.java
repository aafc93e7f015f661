/**
 * JMH benchmarks of issue 3 (EventBase), each side by side with its peer in the same run, read
 * as ratios (peer ns/op ÷ jevent ns/op; above 1.0 jevent is faster).
 *
 * <table>
 * <caption>What each one measures, and its floor</caption>
 * <tr><th>#</th><th>class</th><th>benchmarks</th><th>work per op</th><th>floor</th></tr>
 * <tr><td>1</td><td>{@link org.jevent.benchmarks.eventbase.TimerBenchmark}</td>
 *     <td>heap_jevent, common_jevent, wheel_netty, priorityQueue_baseline</td>
 *     <td>one timer of a batch of 1 M added with a random deadline (1 s..1 h), then deleted</td>
 *     <td>≥ 1.0× Netty's HashedWheelTimer</td></tr>
 * <tr><td>1</td><td>{@link org.jevent.benchmarks.eventbase.TimerSteadyBenchmark}</td>
 *     <td>heap_jevent, common_jevent, wheel_netty, priorityQueue_removeObject ({@code @Param pending} 1 000, 1 000 000)</td>
 *     <td>one add + del while {@code pending} others wait</td>
 *     <td>common_jevent flat in {@code pending}</td></tr>
 * <tr><td>2</td><td>{@link org.jevent.benchmarks.eventbase.DispatchBenchmark}</td>
 *     <td>activate_jevent, execute_netty</td>
 *     <td>one callback scheduled and run on the loop thread (batches of 1 000)</td>
 *     <td>≥ 1.0× Netty's NioEventLoop.execute from inside the loop</td></tr>
 * <tr><td>3</td><td>{@link org.jevent.benchmarks.eventbase.CrossThreadExecuteBenchmark}</td>
 *     <td>execute_jevent, execute_netty</td>
 *     <td>one task handed from the JMH thread to a running loop (batches of 10 000)</td>
 *     <td>≥ 1.0× Netty's NioEventLoop.execute</td></tr>
 * </table>
 *
 * <p>Not JMH: {@link org.jevent.benchmarks.eventbase.CallbackCpuProbe}, CPU nanoseconds per
 * dispatched callback from the thread's CPU clock, for the cost of the loop-stall detector's
 * bookkeeping (with and without {@code -Djevent.jfr=false}).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar 'eventbase' -f 1} (defaults: 3 warm-up
 * and 5 measured iterations; the timer benchmarks fork with a 2 GiB heap for the million timers).
 * When another module of the reactor does not build, compile just this package with javac and the
 * JMH annotation processor against {@code eventbase/target/classes}, jctools, slf4j-api, JMH and
 * netty-common/buffer/transport/resolver, and run {@code org.openjdk.jmh.Main} from there.
 *
 * <p>Caveats, so the ratios are read right: Netty's wheel does part of every add and cancel on its
 * own worker thread (it queues both), so on an idle second core its caller-side cost is lower than
 * the work done; a PriorityQueue cannot delete an arbitrary element in less than O(n), hence the
 * batch baseline polls (delete-min, its best case) and the steady one shows {@code remove(Object)}.
 * The dispatch and cross-thread benchmarks need two quiet cores: producer and loop both run.
 *
 * <p>Smoke runs of 2026-11-22 ({@code -f 1 -wi 1 -i 1 -w 1s -r 1s}, a shared 2-core machine with
 * other builds running; one iteration each: they prove the benchmarks run and give a direction,
 * not results). Run A (binary heap of nodes): dispatch activate_jevent 20.2 ns vs execute_netty
 * 19.5 ns; cross-thread execute_jevent 22.5 ns vs execute_netty 31.4 ns; batch heap_jevent 262 ns,
 * common_jevent 81 ns, wheel_netty 128 ns, priorityQueue_baseline 1 231 ns. Run B (4-ary heap,
 * keys in arrays): batch heap_jevent 178 ns, common_jevent 61 ns, wheel_netty 112 ns,
 * priorityQueue_baseline 1 822 ns; steady at 1 000 / 1 000 000 pending: common_jevent 34 / 47 ns,
 * heap_jevent 49 / 52 ns, wheel_netty 158 / 155 ns, priorityQueue_removeObject 218 ns / 1.35 ms.
 * Run C (current heap, deadlines only in the array): batch heap_jevent 184 ns, common_jevent
 * 114 ns, wheel_netty 302 ns, the same code moving 2-3x between runs. Run D (final code, all
 * benchmarks, load average 5 on 2 cores): cross-thread execute_jevent 21.7 ns vs execute_netty
 * 33.2 ns (1.53x); dispatch activate_jevent 22.4 ns vs execute_netty 24.5 ns (1.10x); batch
 * heap_jevent 206 ns, common_jevent 84 ns, wheel_netty 277 ns (1.34x and 3.3x),
 * priorityQueue_baseline 3 414 ns; steady at 1 000 / 1 000 000 pending: common_jevent 38 / 45 ns,
 * heap_jevent 73 / 84 ns, wheel_netty 147 / 194 ns, priorityQueue_removeObject 654 ns / 1.32 ms.
 * So: cross-thread and common timeouts ahead of Netty in every run, dispatch at parity or a little
 * ahead, the 1 M random-deadline heap batch behind the wheel in two runs of four; no floor is
 * claimed met or missed before a quiet run with several iterations.
 */
package org.jevent.benchmarks.eventbase;
