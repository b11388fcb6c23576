using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sequin.Kernels;

namespace Sequin.Benchmarks;

/// <summary>
/// The machine's FP32 peak, measured: each thread runs 12 independent chains of vector FMAs (enough to cover the FMA
/// latency on every pipe) with no memory traffic, so the result is what the cores actually sustain at the clock they
/// actually run — a VM's nominal clock (cpuinfo) can be far from its turbo clock.
/// </summary>
internal static class FmaPeak
{
    private const long Iterations = 20_000_000;

    /// <summary>12 independent chains c = c·b + a of one vector width (<see cref="Ops512{T}"/> or <see cref="Ops256{T}"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains<TS, TV>(long n)
        where TS : ISimdOps<float, TV>
        where TV : struct
    {
        var b = TS.Broadcast(0.9999999f);
        var a = TS.Broadcast(1e-7f);
        TV c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < n; i++)
        {
            c0 = TS.Fma(c0, b, a); c1 = TS.Fma(c1, b, a); c2 = TS.Fma(c2, b, a); c3 = TS.Fma(c3, b, a);
            c4 = TS.Fma(c4, b, a); c5 = TS.Fma(c5, b, a); c6 = TS.Fma(c6, b, a); c7 = TS.Fma(c7, b, a);
            c8 = TS.Fma(c8, b, a); c9 = TS.Fma(c9, b, a); c10 = TS.Fma(c10, b, a); c11 = TS.Fma(c11, b, a);
        }
        var sum = TS.Add(TS.Add(TS.Add(c0, c1), TS.Add(c2, c3)), TS.Add(TS.Add(c4, c5), TS.Add(c6, c7)));
        return TS.Sum(TS.Add(sum, TS.Add(TS.Add(c8, c9), TS.Add(c10, c11))));
    }

    /// <summary>
    /// The cores' FMA rate right now, in GFLOP/s: <paramref name="threads"/> parts each time their own short run of the
    /// same chains (about 3 ms), and their rates are summed. compare takes one after each pair of timed runs, so a row
    /// whose probes fall well below the peak ran while the host's other tenants shared the cores. Each part times
    /// itself because on this VM a vCPU idle for 20 ms or more often comes back only after several milliseconds: a
    /// wall-clock probe then reads half the peak though each core, once running, runs at full speed.
    /// </summary>
    internal static double Probe(int threads)
    {
        var wide = Simd.Detected == SimdLevel.Avx512;
        s_probe.Set(wide ? Chains<Ops512<float>, Vector512<float>> : Chains<Ops256<float>, Vector256<float>>, wide ? 16 : 8, threads);
        WorkerPool.Run(s_probe, threads);
        return s_probe.Total;
    }

    private static readonly ProbeWork s_probe = new();

    /// <summary>Each part runs the chains and records its own rate.</summary>
    private sealed class ProbeWork : PoolWork
    {
        private const long N = 2_000_000;
        private Func<long, float>? run;
        private int lanes;
        private double[] rates = [];

        public void Set(Func<long, float> run, int lanes, int parts)
        {
            (this.run, this.lanes) = (run, lanes);
            if (rates.Length != parts)
            {
                rates = new double[parts];
            }
            run(1000); // compiled before any clock starts
        }

        public double Total => rates.Sum();

        public override void Execute(int part)
        {
            var sw = Stopwatch.StartNew();
            run!(N);
            rates[part] = N * 12.0 * lanes * 2 / sw.Elapsed.TotalSeconds / 1e9;
        }
    }

    /// <summary>Best of three runs of the FMA chains on <paramref name="threads"/> threads, in GFLOP/s, and the vector width used.</summary>
    internal static (double Gflops, int Lanes) Measure(int threads)
    {
        var wide = Simd.Detected == SimdLevel.Avx512;
        var lanes = wide ? 16 : 8;
        Func<long, float> run = wide ? Chains<Ops512<float>, Vector512<float>> : Chains<Ops256<float>, Vector256<float>>;
        run(1000);
        var best = 0.0;
        for (var round = 0; round < 3; round++)
        {
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => run(Iterations));
            var flops = (double)threads * Iterations * 12 * lanes * 2;
            best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
        }
        return (best, lanes);
    }
}
