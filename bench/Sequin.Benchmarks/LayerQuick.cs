using System.Diagnostics;
using System.Globalization;
using Sequin.Autograd;
using Sequin.Kernels;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Benchmarks;

/// <summary>
/// `layer MODE INPUT HIDDEN STEPS BATCH [THREADS]`: Stopwatch median of a NoGrad forward alone (for tuning, not for
/// reports). Environment: SEQUIN_REPS (calls, default 30), SEQUIN_PAUSE_MS (idle pause before each call, as compare
/// has), SEQUIN_TRACE (per-call allocation and page faults; in `train` mode also GCs and GC pauses per step),
/// the tunables of <see cref="Tunables"/>, SEQUIN_PACK=1 (weights packed once, as compare runs them), SEQUIN_AB (two values of a tunable in
/// alternating calls, see <see cref="AbSwitch"/>).
/// </summary>
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
        Tunables.FromEnvironment();
        RNNBase m = mode == "gru" ? new GRU(input, hidden) : new LSTM(input, hidden);
        var x = Tensor.Randn([steps, batch, input]);
        if (Environment.GetEnvironmentVariable("SEQUIN_PACK") == "1")
        {
            m.PackWeights(); // as compare runs the layers
        }
        if (args.Length > 7 && args[7] == "train")
        {
            Train(m, x, AbSwitch(Environment.GetEnvironmentVariable("SEQUIN_AB"), m));
            return;
        }
        using var _ = new NoGrad();
        var times = new List<double>();
        var reps = Environment.GetEnvironmentVariable("SEQUIN_REPS") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 30;
        var ab = AbSwitch(Environment.GetEnvironmentVariable("SEQUIN_AB"), m);
        var timesB = new List<double>();
        var pauseMs = Environment.GetEnvironmentVariable("SEQUIN_PAUSE_MS") is { } pm ? int.Parse(pm, CultureInfo.InvariantCulture) : 0;
        for (var i = 0; i < reps; i++)
        {
            // A B B A order: an A/A check (SEQUIN_AB=AA) with plain alternation read every second call 5-7% slower
            // at batch 64 (a period-2 effect of the allocator), which A B B A cancels.
            var sideB = ab is not null && (i % 4 == 1 || i % 4 == 2);
            ab?.Invoke(sideB);
            if (pauseMs > 0)
            {
                Thread.Sleep(pauseMs);
            }
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
            (sideB ? timesB : times).Add(sw.Elapsed.TotalMilliseconds);
            if (Environment.GetEnvironmentVariable("SEQUIN_TRACE") is not null)
            {
                var mb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6;
                Console.WriteLine($"  {sw.Elapsed.TotalMilliseconds:F2} ms  allocated {mb:F2} MB  page faults {MinorFaults() - faults}  gen0 {GC.CollectionCount(0)} gen2 {GC.CollectionCount(2)}");
            }
        }
        times.Sort();
        Console.WriteLine($"{mode} i{input} h{hidden} t{steps} b{batch}: median {times[times.Count / 2]:F3} ms, best {times[0]:F3} ms");
        if (ab is not null)
        {
            timesB.Sort();
            Console.WriteLine($"  B: median {timesB[timesB.Count / 2]:F3} ms, best {timesB[0]:F3} ms, A/B medians {times[times.Count / 2] / timesB[timesB.Count / 2]:F3}");
        }
    }

    /// <summary>
    /// SEQUIN_AB: <c>NAME=A,B</c> times two values of a tunable (KC, CHUNK, UNITSPLIT, MINUNITS / MINUNITS1 (fewest hidden units per unit-split part, batch / one sequence), BLOCKS (most row blocks of a unit split), MINELEM (fewest W_hh elements for a unit split), BWGROUPS (1 = training backward by row groups), BWMINROWS (fewest rows per backward row group), FUSED (1 = one sequence's next-chunk projection beside each step, see FusedRecurrentLayer.FusedProjection), FUSEDCHUNK (its steps per chunk), STEER: 1 = worker wake-ups steered off the caller's CPU by <see cref="WakePlacement"/>, or PACK: 1 = the module's
    /// weights packed once by <see cref="RNNBase.PackWeights"/>, 0 = packed per call) in alternating calls of one
    /// process; <c>AA</c> changes nothing (a check of the harness itself). Returns the switch, or null when unset.
    /// </summary>
    internal static Action<bool>? AbSwitch(string? spec, RNNBase module)
    {
        if (spec is null)
        {
            return null;
        }
        if (spec == "AA")
        {
            return _ => { };
        }
        var parts = spec.Split('=', ',');
        if (parts.Length != 3)
        {
            throw new ArgumentException($"SEQUIN_AB must be NAME=A,B or AA, not '{spec}'.");
        }
        var (a, b) = (int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
        return parts[0] switch
        {
            "KC" => sideB => GemmDriver<float>.KC = sideB ? b : a,
            "CHUNK" => sideB => FusedRecurrentLayer.ChunkRows = sideB ? b : a,
            "UNITSPLIT" => sideB => FusedRecurrentLayer.UnitSplitMaxBatch = sideB ? b : a,
            "PACK" => sideB => SetPacked(module, (sideB ? b : a) != 0),
            "MINUNITS" => sideB => FusedRecurrentLayer.MinUnitsPerPart = sideB ? b : a,
            "STEER" => sideB => WakePlacement.Enabled = (sideB ? b : a) != 0,
            "BLOCKS" => sideB => FusedRecurrentLayer.MaxRowBlocks = sideB ? b : a,
            "MINUNITS1" => sideB => FusedRecurrentLayer.MinUnitsPerPartOneSequence = sideB ? b : a,
            "BWGROUPS" => sideB => FusedRecurrentLayer.BackwardRowGroups = (sideB ? b : a) != 0,
            "BWMINROWS" => sideB => FusedRecurrentLayer.MinBackwardGroupRows = sideB ? b : a,
            "MINELEM" => sideB => FusedRecurrentLayer.UnitSplitMinElements = sideB ? b : a,
            "MINBLOCKROWS" => sideB => FusedRecurrentLayer.MinBlockRows = sideB ? b : a,
            "FUSED" => sideB => FusedRecurrentLayer.FusedProjection = (sideB ? b : a) != 0,
            "FUSEDCHUNK" => sideB => FusedRecurrentLayer.FusedChunkSteps = sideB ? b : a,
            _ => throw new ArgumentException($"SEQUIN_AB: unknown tunable '{parts[0]}' (KC, CHUNK, UNITSPLIT, MINUNITS, MINUNITS1, BLOCKS, MINBLOCKROWS, MINELEM, BWGROUPS, BWMINROWS, FUSED, FUSEDCHUNK, PACK or STEER)."),
        };
    }

    private static void SetPacked(RNNBase module, bool packed)
    {
        if (packed && !module.WeightsPacked)
        {
            module.PackWeights();
        }
        else if (!packed && module.WeightsPacked)
        {
            module.UnpackWeights();
        }
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

    /// <summary>
    /// Training step timing: forward with grad (saving activations) and backward of sum(output), medians; with SEQUIN_AB,
    /// the two sides in A B B A order and their medians apart.
    /// </summary>
    private static void Train(RNNBase m, Tensor x, Action<bool>? ab)
    {
        var fwd = new List<double>();
        var bwd = new List<double>();
        var fwdB = new List<double>();
        var bwdB = new List<double>();
        var steps = ab is null ? 12 : 42;
        for (var i = 0; i < steps; i++)
        {
            var sideB = ab is not null && (i % 4 == 1 || i % 4 == 2);
            ab?.Invoke(sideB);
            m.ZeroGrad();
            var faults = MinorFaults();
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var gen0 = GC.CollectionCount(0);
            var gen2 = GC.CollectionCount(2);
            var pause = GC.GetTotalPauseDuration();
            var sw = Stopwatch.StartNew();
            var y = m is LSTM l ? l.Forward(x).Output : ((GRU)m).Forward(x).Output;
            var f = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            y.Sum().Backward();
            if (Environment.GetEnvironmentVariable("SEQUIN_TRACE") is not null)
            {
                Console.WriteLine($"  step {i}: {f:F1} + {sw.Elapsed.TotalMilliseconds:F1} ms, allocated {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6:F1} MB, page faults {MinorFaults() - faults}, gen0 GCs {GC.CollectionCount(0) - gen0}, gen2 {GC.CollectionCount(2) - gen2}, GC pauses {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:F1} ms");
            }
            if (i >= 2)
            {
                (sideB ? fwdB : fwd).Add(f);
                (sideB ? bwdB : bwd).Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        if (ab is not null)
        {
            fwdB.Sort();
            bwdB.Sort();
            Console.WriteLine($"  B: forward {fwdB[fwdB.Count / 2]:F2} ms, backward {bwdB[bwdB.Count / 2]:F2} ms (medians of {fwdB.Count})");
        }
        fwd.Sort();
        bwd.Sort();
        Console.WriteLine($"{m.Mode} train: forward {fwd[fwd.Count / 2]:F2} ms, backward {bwd[bwd.Count / 2]:F2} ms (medians of {fwd.Count})");
    }
}
