using System.Diagnostics;
using Sequin.Kernels;

namespace Sequin.Benchmarks;

/// <summary>`gemm` mode: quick Stopwatch GFLOP/s for the shapes the recurrent layers use (for tuning, not for reports).</summary>
internal static class GemmQuick
{
    internal static void Run(string[] args)
    {
        var threads = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        Parallelism.MaxThreads = threads;
        if (Environment.GetEnvironmentVariable("SEQUIN_SMALLM") is { } sm)
        {
            GemmDriver<float>.SmallMTransposedB = int.Parse(sm, System.Globalization.CultureInfo.InvariantCulture);
        }
        if (Environment.GetEnvironmentVariable("SEQUIN_KC") is { } kcText)
        {
            GemmDriver<float>.KC = int.Parse(kcText, System.Globalization.CultureInfo.InvariantCulture);
        }
        var filter = args.Length > 2 ? args[2] : "";
        (string Name, bool TA, bool TB, int M, int N, int K)[] cases =
        [
            ("square 1024", false, false, 1024, 1024, 1024),
            ("square 1024 tB", false, true, 1024, 1024, 1024),
            ("x·Wihᵀ T100 B64", false, true, 6400, 2048, 256),
            ("h·Whhᵀ B64", false, true, 64, 2048, 512),
            ("h·Whh B64 (noT)", false, false, 64, 2048, 512),
            ("h·Whhᵀ B8 H512", false, true, 8, 2048, 512),
            ("h·Whhᵀ B1 H512", false, true, 1, 2048, 512),
            ("h·Whhᵀ B8 H128", false, true, 8, 512, 128),
            ("h·Whhᵀ B1 H128", false, true, 1, 512, 128),
            ("dG·Whh B64", false, false, 64, 512, 2048),
            ("packed h·Whhᵀ B1 H512", false, true, 1, 2048, 512),
            ("packed h·Whhᵀ B1 H128", false, true, 1, 512, 128),
            ("packed h·Whhᵀ B32", false, true, 32, 2048, 512),
            ("packed h·Whhᵀ B64", false, true, 64, 2048, 512),
            ("packed h·Whhᵀ B8 H128", false, true, 8, 512, 128),
            ("packed x·Wihᵀ 256 rows", false, true, 256, 2048, 256),
            ("packed x·Wihᵀ 1024 rows", false, true, 1024, 2048, 256),
            ("dGᵀ·X (dWih)", true, false, 2048, 256, 6400),
            ("dGᵀ·Hprev (dWhh)", true, false, 2048, 512, 6400),
            ("d2l dGᵀ·Hprev (dWhh)", true, false, 1024, 256, 1120),
            ("d2l dGᵀ·X (dWih)", true, false, 1024, 28, 1120),
            ("d2l dGᵀ·[X|H] (dW)", true, false, 1024, 284, 1120),
            ("d2l Xᵀ·dG (dWihᵀ)", true, false, 28, 1024, 1120),
            ("d2l x·Wihᵀ", false, true, 1120, 1024, 28),
            ("d2l head y·Wᵀ", false, true, 1120, 28, 256),
            ("dG·Wih (dX)", false, false, 6400, 256, 2048),
        ];
        foreach (var (name, ta, tb, m, n, k) in cases)
        {
            if (!name.Contains(filter, StringComparison.Ordinal))
            {
                continue;
            }
            var rng = new Random(1);
            var a = new float[m * k];
            var b = new float[k * n];
            var c = new float[m * n];
            for (var i = 0; i < a.Length; i++)
            {
                a[i] = (float)rng.NextDouble();
            }
            for (var i = 0; i < b.Length; i++)
            {
                b[i] = (float)rng.NextDouble();
            }
            var lda = ta ? m : k;
            var ldb = tb ? k : n;
            var flops = 2.0 * m * n * k;
            var reps = Math.Max(3, (int)Math.Min(2000, 3e9 / flops));
            using var packed = name.StartsWith("packed", StringComparison.Ordinal) ? PackedMatrix<float>.Pack(tb, k, n, b, ldb) : null;
            var calls = 0;
            void Once()
            {
                if (packed is not null)
                {
                    // Alternating panel order, as the layers' one-row steps do.
                    packed.Multiply(m, 1f, a, lda, 0f, c, n, reverse: m == 1 && (++calls & 1) == 1);
                }
                else
                {
                    Gemm.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
                }
            }
            Once();
            var best = double.MaxValue;
            var bestCpu = double.MaxValue;
            for (var round = 0; round < 3; round++)
            {
                var cpu0 = ThreadCpuSeconds();
                var sw = Stopwatch.StartNew();
                for (var r = 0; r < reps; r++)
                {
                    Once();
                }
                best = Math.Min(best, sw.Elapsed.TotalSeconds / reps);
                bestCpu = Math.Min(bestCpu, (ThreadCpuSeconds() - cpu0) / reps);
            }
            // The calling thread's CPU time leaves out the time other processes held the core: with one thread it is the
            // steadier figure on a shared machine.
            Console.WriteLine($"{name,-18} m={m,5} n={n,5} k={k,5}  {best * 1e6,10:F1} us  {flops / best / 1e9,7:F1} GFLOP/s  (caller CPU {bestCpu * 1e6,8:F1} us)");
        }
    }

    /// <summary>CPU time of the calling thread (Linux: /proc/thread-self/schedstat), or wall time elsewhere.</summary>
    internal static double ThreadCpuSeconds()
    {
        try
        {
            var text = File.ReadAllText("/proc/thread-self/schedstat");
            return long.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture) / 1e9;
        }
        catch (IOException)
        {
            return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        }
    }
}
