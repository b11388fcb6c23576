using System.Diagnostics;
using System.Globalization;
using Sequin.Autograd;
using Sequin.Kernels;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Benchmarks;

/// <summary>`layer MODE INPUT HIDDEN STEPS BATCH [THREADS]`: Stopwatch median of a NoGrad forward alone (for tuning, not for reports).</summary>
internal static class LayerQuick
{
    internal static void Run(string[] args)
    {
        int Arg(int i, int dflt) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : dflt;
        var mode = args.Length > 1 ? args[1] : "lstm";
        if (mode == "tiny")
        {
            Parallelism.MaxThreads = Arg(2, 2);
            var tiny = new LSTM(16, 32, numLayers: 2, bidirectional: true);
            var xt = Tensor.Randn([7, 3, 16]);
            using var ng = new NoGrad();
            for (var round = 0; round < 5; round++)
            {
                var sw0 = Stopwatch.StartNew();
                for (var i = 0; i < 20000; i++)
                {
                    tiny.Forward(xt);
                }
                Console.WriteLine($"tiny lstm_l2_bi_i16_h32_t7_b3: {sw0.Elapsed.TotalMilliseconds / 20000 * 1000:F1} us per call");
            }
            return;
        }
        int input = Arg(2, 256), hidden = Arg(3, 512), steps = Arg(4, 100), batch = Arg(5, 64);
        Parallelism.MaxThreads = Arg(6, 2);
        if (Environment.GetEnvironmentVariable("SEQUIN_CHUNK") is { } cr)
        {
            FusedRecurrentLayer.ChunkRows = int.Parse(cr, CultureInfo.InvariantCulture);
        }
        if (Environment.GetEnvironmentVariable("SEQUIN_KC") is { } kc)
        {
            GemmDriver<float>.KC = int.Parse(kc, CultureInfo.InvariantCulture);
        }
        if (Environment.GetEnvironmentVariable("SEQUIN_UNITSPLIT_MAXBATCH") is { } us)
        {
            FusedRecurrentLayer.UnitSplitMaxBatch = int.Parse(us, CultureInfo.InvariantCulture);
        }
        RNNBase m = mode == "gru" ? new GRU(input, hidden) : new LSTM(input, hidden);
        var x = Tensor.Randn([steps, batch, input]);
        if (args.Length > 7 && args[7] == "train")
        {
            Train(m, x);
            return;
        }
        using var _ = new NoGrad();
        var times = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var faults = MinorFaults();
            var sw = Stopwatch.StartNew();
            if (m is LSTM l)
            {
                l.Forward(x);
            }
            else
            {
                ((GRU)m).Forward(x);
            }
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (Environment.GetEnvironmentVariable("SEQUIN_TRACE") is not null)
            {
                var mb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6;
                Console.WriteLine($"  {sw.Elapsed.TotalMilliseconds:F2} ms  allocated {mb:F2} MB  page faults {MinorFaults() - faults}  gen0 {GC.CollectionCount(0)} gen2 {GC.CollectionCount(2)}");
            }
        }
        times.Sort();
        Console.WriteLine($"{mode} i{input} h{hidden} t{steps} b{batch}: median {times[times.Count / 2]:F3} ms, best {times[0]:F3} ms");
    }

    /// <summary>The process's minor page faults so far (Linux: field 10 of /proc/self/stat; elsewhere 0).</summary>
    private static long MinorFaults()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }
        var stat = File.ReadAllText("/proc/self/stat");
        // Fields after the command name, which is in parentheses and may hold spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }

    /// <summary>Training step timing: forward with grad (saving activations) and backward of sum(output), medians.</summary>
    private static void Train(RNNBase m, Tensor x)
    {
        var fwd = new List<double>();
        var bwd = new List<double>();
        for (var i = 0; i < 12; i++)
        {
            m.ZeroGrad();
            var sw = Stopwatch.StartNew();
            var y = m is LSTM l ? l.Forward(x).Output : ((GRU)m).Forward(x).Output;
            var f = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            y.Sum().Backward();
            if (i >= 2)
            {
                fwd.Add(f);
                bwd.Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        fwd.Sort();
        bwd.Sort();
        Console.WriteLine($"{m.Mode} train: forward {fwd[fwd.Count / 2]:F1} ms, backward {bwd[bwd.Count / 2]:F1} ms (medians of {fwd.Count})");
    }
}
