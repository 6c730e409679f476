package dev.jitgw.policy.rules;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What the machine adds to a percentile: a fixed amount of arithmetic, no allocation, no memory
 * traffic, timed call by call like {@link PolicyBenchmark}'s decisions. Whatever its p99 is above
 * its p50 comes from the machine (interrupts, other processes, the hypervisor), not from the code
 * measured; a decision's p99 cannot be expected below it.
 *
 * <p>Run: {@code bench/jmh.sh gateway-policy NoiseFloorBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class NoiseFloorBenchmark {
  /** Blackhole tokens: about 2 and 7 µs on the benchmark machine. */
  @Param({"1000", "3500"})
  public long tokens;

  @Benchmark
  public void fixedWork() {
    Blackhole.consumeCPU(tokens);
  }
}
