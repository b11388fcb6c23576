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

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(long n)
    {
        var b = Vector512.Create(0.9999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < n; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, b, a); c1 = Vector512.FusedMultiplyAdd(c1, b, a);
            c2 = Vector512.FusedMultiplyAdd(c2, b, a); c3 = Vector512.FusedMultiplyAdd(c3, b, a);
            c4 = Vector512.FusedMultiplyAdd(c4, b, a); c5 = Vector512.FusedMultiplyAdd(c5, b, a);
            c6 = Vector512.FusedMultiplyAdd(c6, b, a); c7 = Vector512.FusedMultiplyAdd(c7, b, a);
            c8 = Vector512.FusedMultiplyAdd(c8, b, a); c9 = Vector512.FusedMultiplyAdd(c9, b, a);
            c10 = Vector512.FusedMultiplyAdd(c10, b, a); c11 = Vector512.FusedMultiplyAdd(c11, b, a);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).GetElement(0);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(long n)
    {
        var b = Vector256.Create(0.9999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < n; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, b, a); c1 = Vector256.FusedMultiplyAdd(c1, b, a);
            c2 = Vector256.FusedMultiplyAdd(c2, b, a); c3 = Vector256.FusedMultiplyAdd(c3, b, a);
            c4 = Vector256.FusedMultiplyAdd(c4, b, a); c5 = Vector256.FusedMultiplyAdd(c5, b, a);
            c6 = Vector256.FusedMultiplyAdd(c6, b, a); c7 = Vector256.FusedMultiplyAdd(c7, b, a);
            c8 = Vector256.FusedMultiplyAdd(c8, b, a); c9 = Vector256.FusedMultiplyAdd(c9, b, a);
            c10 = Vector256.FusedMultiplyAdd(c10, b, a); c11 = Vector256.FusedMultiplyAdd(c11, b, a);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).GetElement(0);
    }

    /// <summary>Best of three runs of the FMA chains on <paramref name="threads"/> threads, in GFLOP/s, and the vector width used.</summary>
    internal static (double Gflops, int Lanes) Measure(int threads)
    {
        var wide = Simd.Detected == SimdLevel.Avx512;
        var lanes = wide ? 16 : 8;
        Func<long, float> run = wide ? Chains512 : Chains256;
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
