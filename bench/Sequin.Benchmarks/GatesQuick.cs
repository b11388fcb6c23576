using System.Diagnostics;
using Sequin.Benchmarks.Suites;

namespace Sequin.Benchmarks;

/// <summary>
/// `gates` mode: quick Stopwatch timings of the fused gate kernels per instruction-set path, with the speed-up over the
/// scalar loops, on the <see cref="GateKernelBenchmarks"/> data (for a first look; the BenchmarkDotNet suite is the report).
/// Run it with <c>DOTNET_TieredCompilation=0</c>: the calls are short, and otherwise the first shapes are timed partly
/// in unoptimised tier-0 code.
/// </summary>
internal static class GatesQuick
{
    internal static void Run()
    {
        (string Name, Action<GateKernelBenchmarks> Call)[] kernels =
        [
            ("LSTM fwd", k => k.LstmForward()),
            ("LSTM bwd", k => k.LstmBackward()),
            ("GRU fwd", k => k.GruForward()),
            ("GRU bwd", k => k.GruBackward()),
            ("RNN tanh fwd", k => k.RnnTanhForward()),
            ("RNN tanh bwd", k => k.RnnTanhBackward()),
        ];
        if (Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") != "0")
        {
            Console.WriteLine("note: set DOTNET_TieredCompilation=0 for stable numbers (the first shapes may be timed in tier-0 code)");
        }
        Console.WriteLine("kernel          batch hidden    scalar us    avx2 us    best us   avx2 x  best x");
        foreach (var (batch, hidden) in new[] { (1, 128), (1, 512), (8, 512), (64, 128), (64, 512) })
        {
            foreach (var (name, call) in kernels)
            {
                var us = new Dictionary<GateIsa, double>();
                foreach (var isa in new[] { GateIsa.Scalar, GateIsa.Avx2, GateIsa.Best })
                {
                    var k = new GateKernelBenchmarks { Batch = batch, Hidden = hidden, Isa = isa };
                    k.Setup();
                    us[isa] = Measure(() => call(k)) * 1e6;
                }
                Console.WriteLine(
                    $"{name,-15} {batch,5} {hidden,6} {us[GateIsa.Scalar],12:F2} {us[GateIsa.Avx2],10:F2} {us[GateIsa.Best],10:F2} " +
                    $"{us[GateIsa.Scalar] / us[GateIsa.Avx2],8:F1} {us[GateIsa.Scalar] / us[GateIsa.Best],7:F1}");
            }
        }
    }

    /// <summary>Best of 7 rounds of the mean over enough calls to last about 10 ms.</summary>
    private static double Measure(Action a)
    {
        a();
        var sw = Stopwatch.StartNew();
        var reps = 1;
        while (sw.Elapsed.TotalMilliseconds < 2)
        {
            a();
            reps++;
        }
        reps = Math.Max(1, reps * 5);
        var best = double.MaxValue;
        for (var round = 0; round < 7; round++)
        {
            sw.Restart();
            for (var i = 0; i < reps; i++)
            {
                a();
            }
            best = Math.Min(best, sw.Elapsed.TotalSeconds / reps);
        }
        return best;
    }
}
