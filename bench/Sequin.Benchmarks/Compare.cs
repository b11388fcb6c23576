using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Sequin.Autograd;
using Sequin.IO;
using Sequin.Kernels;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Benchmarks;

/// <summary>
/// `compare --json FILE [--threads N] [--only NAME-SUBSTRING] [--pack-per-call]`: Sequin against ONNX Runtime on the
/// models in Models/ (same weights, same random input, same thread count), after checking that both give the same
/// outputs (max |Δ| ≤ 1e-4). Times are medians of at least 10 alternating runs after warm-up; Sequin runs under NoGrad,
/// with the module's weights packed once (<see cref="RNNBase.PackWeights"/>), as ONNX Runtime packs them once when it
/// creates the session; <c>--pack-per-call</c> times the full-sequence rows with the weights packed at every call instead.
/// </summary>
internal static class Compare
{
    /// <summary>
    /// Pause before each timed side. ONNX Runtime's intra-op threads keep spinning after a run; with a 1 ms pause
    /// Sequin's next run shared the cores with them and measured 20–40% slower (ONNX Runtime's times did not change
    /// with the pause). Override with SEQUIN_COMPARE_QUIET_MS.
    /// </summary>
    private static readonly int QuietMs = int.Parse(Environment.GetEnvironmentVariable("SEQUIN_COMPARE_QUIET_MS") ?? "50", CultureInfo.InvariantCulture);

    /// <summary>
    /// One comparison. Full-sequence rows run the module with <see cref="RNNBase.PackWeights"/> (unless --pack-per-call).
    /// Streaming rows time one step at batch 1: ONNX Runtime runs a T = 1 input, Sequin its streaming
    /// step, with a state that packs the weights once (<c>CreateState(1, packWeights: true)</c>: like an ONNX Runtime
    /// session, it holds its own copy of the weights) or, for the <c>_live</c> rows, the default state that reads the
    /// module's current weights at every step.
    /// </summary>
    private sealed record Row(string Name, string Model, int Steps, int Batch, bool Streaming, bool PackWeights = false);

    /// <summary>One row's medians; <see cref="HostGflops"/> is the median of the FMA probes taken after each pair of runs, <see cref="WarmupSeconds"/> the warm-up's length.</summary>
    private sealed record Result(string Name, double SequinMs, double OrtMs, double Gflop, double MaxAbsDiff, double HostGflops, double WarmupSeconds);

    private static readonly Row[] Rows =
    [
        new("lstm_i256_h512_t100_b64", "lstm_i256_h512", 100, 64, false),
        new("gru_i256_h512_t100_b64", "gru_i256_h512", 100, 64, false),
        new("lstm_i256_h512_t1000_b1", "lstm_i256_h512", 1000, 1, false),
        new("gru_i256_h512_t1000_b1", "gru_i256_h512", 1000, 1, false),
        new("lstm_i64_h128_t100_b8", "lstm_i64_h128", 100, 8, false),
        new("lstm_i64_h128_step_b1", "lstm_i64_h128", 1, 1, true, PackWeights: true),
        new("gru_i64_h128_step_b1", "gru_i64_h128", 1, 1, true, PackWeights: true),
        new("lstm_l2_bi_i16_h32_t7_b3", "lstm_l2_bi_i16_h32", 7, 3, false),
        new("lstm_i64_h128_step_b1_live", "lstm_i64_h128", 1, 1, true),
        new("gru_i64_h128_step_b1_live", "gru_i64_h128", 1, 1, true),
    ];

    internal static int Run(string[] args)
    {
        string? json = null;
        var threads = 2;
        string? only = null;
        var packPerCall = false;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json": json = args[++i]; break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--only": only = args[++i]; break;
                case "--pack-per-call": packPerCall = true; break;
                default:
                    Console.Error.WriteLine($"compare: unknown argument '{args[i]}'. Usage: compare --json FILE [--threads N] [--only NAME-SUBSTRING] [--pack-per-call]");
                    return 2;
            }
        }
        Parallelism.MaxThreads = threads;
        var models = FindModels();
        var machine = Machine();
        Console.WriteLine($"machine: {machine}");
        Console.WriteLine($"threads: {threads} (Sequin Parallelism.MaxThreads; ONNX Runtime IntraOpNumThreads, InterOpNumThreads = 1)");
        var tunables = Tunables.FromEnvironment();
        if (tunables.Length > 0)
        {
            Console.WriteLine($"tunables from the environment: {tunables}");
        }
        var weights = packPerCall ? "packed per call" : "packed once (RNNBase.PackWeights)";
        Console.WriteLine($"Sequin full-sequence weights: {weights}");
        var results = new List<Result>();
        var total = Stopwatch.StartNew();
        foreach (var row in Rows)
        {
            if (only is not null && !row.Name.Contains(only, StringComparison.Ordinal))
            {
                continue;
            }
            var r = RunRow(row, models, threads, packPerCall);
            results.Add(r);
            Console.WriteLine($"  {r.Name}: sequin {r.SequinMs:F3} ms, onnxruntime {r.OrtMs:F3} ms, ratio {r.OrtMs / r.SequinMs:F2}, max|Δ| {r.MaxAbsDiff:G2}, warm-up {r.WarmupSeconds:F1} s");
        }

        double? forwardBackward = null;
        if (only is null || "lstm_i256_h512_t100_b64".Contains(only, StringComparison.Ordinal))
        {
            forwardBackward = ForwardBackward(models);
        }
        double? tokens = null;
        if (only is null)
        {
            tokens = D2lTokensPerSecond();
        }
        var (sgemm, peak, peakHow, pairedShare) = SgemmPeak(threads);

        // The host column: each row's median FMA probe as a share of the peak (FmaPeak.Probe). A shared VM's neighbours take part of its
        // cores at times, and a row timed then reads both libraries slower, by different amounts.
        Console.WriteLine();
        Console.WriteLine($"| {"row",-26} | {"sequin ms",10} | {"ORT ms",10} | {"ORT/sequin",10} | {"sequin GFLOP/s",14} | {"ORT GFLOP/s",11} | {"max abs diff",12} | {"host",5} |");
        Console.WriteLine($"|{new string('-', 28)}|{new string('-', 12)}|{new string('-', 12)}|{new string('-', 12)}|{new string('-', 16)}|{new string('-', 13)}|{new string('-', 14)}|{new string('-', 7)}|");
        foreach (var r in results)
        {
            Console.WriteLine($"| {r.Name,-26} | {r.SequinMs,10:F3} | {r.OrtMs,10:F3} | {r.OrtMs / r.SequinMs,10:F2} | {r.Gflop / r.SequinMs * 1e3,14:F1} | {r.Gflop / r.OrtMs * 1e3,11:F1} | {r.MaxAbsDiff,12:G2} | {r.HostGflops / peak,5:P0} |");
        }
        Console.WriteLine($"host: the median of the {threads}-thread FMA probes (3 ms each, after two unrecorded ones) taken after each pair of timed runs, as a share of the FP32 peak below; well under 100% means the host's other tenants took part of the cores while the row ran (caches and memory are not probed).");
        Console.WriteLine();
        Console.WriteLine($"SGEMM 1024x1024x1024 ({threads} threads): {sgemm:F1} GFLOP/s = {sgemm / peak * 100:F0}% of FP32 peak {peak:F1} GFLOP/s ({peakHow})");
        Console.WriteLine($"SGEMM against an FMA probe right after each run (median of 10 pairs; each pair sees the same host): {pairedShare * 100:F0}%");
        Console.WriteLine($"compare took {total.Elapsed.TotalSeconds:F0} s");

        if (json is not null)
        {
            using var stream = File.Create(json);
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("machine", machine);
            w.WriteNumber("threads", threads);
            w.WriteString("sequin_weights", weights);
            if (tunables.Length > 0)
            {
                w.WriteString("sequin_tunables", tunables);
            }
            w.WriteStartArray("results");
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("name", r.Name);
                // Six decimals (nanoseconds): the step rows take 3-6 µs, and four decimals moved their ratios by up to 2%.
                w.WriteNumber("sequin_ms", Math.Round(r.SequinMs, 6));
                w.WriteNumber("onnxruntime_ms", Math.Round(r.OrtMs, 6));
                w.WriteNumber("sequin_gflops", Math.Round(r.Gflop / r.SequinMs * 1e3, 2));
                w.WriteNumber("onnxruntime_gflops", Math.Round(r.Gflop / r.OrtMs * 1e3, 2));
                w.WriteNumber("host_fma_share", Math.Round(r.HostGflops / peak, 3));
                w.WriteNumber("warmup_s", Math.Round(r.WarmupSeconds, 2));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("sgemm_1024_gflops", Math.Round(sgemm, 1));
            w.WriteNumber("fp32_peak_gflops", Math.Round(peak, 1));
            w.WriteNumber("sgemm_share_of_probe", Math.Round(pairedShare, 3));
            if (forwardBackward is { } fb)
            {
                w.WriteNumber("sequin_forward_backward_lstm_i256_h512_t100_b64_ms", Math.Round(fb, 1));
            }
            if (tokens is { } tps)
            {
                w.WriteNumber("d2l_train_tokens_per_second", Math.Round(tps));
            }
            w.WriteEndObject();
            Console.WriteLine($"wrote {json}");
        }
        return 0;
    }

    private static string FindModels()
    {
        foreach (var candidate in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "Models"),
            Path.Combine(Directory.GetCurrentDirectory(), "bench", "Sequin.Benchmarks", "Models"),
            Path.Combine(Directory.GetCurrentDirectory(), "Models"),
        })
        {
            if (File.Exists(Path.Combine(candidate, "lstm_i64_h128.onnx")))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("compare: cannot find the Models folder (bench/Sequin.Benchmarks/Models); run from the repository root.");
    }

    private static string Machine()
    {
        var model = "unknown CPU";
        var family = "";
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && model == "unknown CPU")
                {
                    model = line[(line.IndexOf(':') + 1)..].Trim();
                }
                if (line.StartsWith("cpu family", StringComparison.Ordinal) && family.Length == 0)
                {
                    family = line[(line.IndexOf(':') + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        var isa = Simd.Detected switch { SimdLevel.Avx512 => "AVX-512", SimdLevel.Avx2 => "AVX2", _ => "scalar" };
        var zen = family == "26" ? " (Zen 5, family 26)" : family.Length > 0 ? $" (family {family})" : "";
        return $"{model}{zen}, {Environment.ProcessorCount} logical cores, {isa}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, ONNX Runtime {typeof(InferenceSession).Assembly.GetName().Version}";
    }

    private static RNNBase LoadModule(string models, string model, out Dictionary<string, Tensor> tensors)
    {
        var (all, meta) = SafeTensors.Load(Path.Combine(models, model + ".safetensors"));
        int Int(string k) => int.Parse(meta[k], CultureInfo.InvariantCulture);
        var bi = meta["bidirectional"].Trim().ToLowerInvariant() is "true" or "1";
        RNNBase module = meta["mode"].Trim().ToUpperInvariant() switch
        {
            "LSTM" => new LSTM(Int("input_size"), Int("hidden_size"), numLayers: Int("num_layers"), bidirectional: bi),
            "GRU" => new GRU(Int("input_size"), Int("hidden_size"), numLayers: Int("num_layers"), bidirectional: bi),
            var m => throw new InvalidOperationException($"compare: {model}: unsupported mode '{m}'"),
        };
        var weights = all.Where(kv => kv.Key.StartsWith("weight_", StringComparison.Ordinal) || kv.Key.StartsWith("bias_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        module.LoadStateDict(weights, strict: true);
        module.Eval();
        tensors = all;
        return module;
    }

    private static double Gflop(RNNBase m, int steps, int batch)
    {
        var g = m.Mode == "LSTM" ? 4 : m.Mode == "GRU" ? 3 : 1;
        double flop = 0;
        for (var l = 0; l < m.NumLayers; l++)
        {
            var inSize = l == 0 ? m.InputSize : m.NumDirections * m.HiddenSize;
            flop += m.NumDirections * 2.0 * steps * batch * g * m.HiddenSize * (inSize + m.HiddenSize);
        }
        return flop / 1e9;
    }

    private static Tensor SequinForward(RNNBase m, Tensor x)
        => m is LSTM lstm ? lstm.Forward(x).Output : ((GRU)m).Forward(x).Output;

    private static Result RunRow(Row row, string models, int threads, bool packPerCall)
    {
        var module = LoadModule(models, row.Model, out _);
        if (!row.Streaming && !packPerCall)
        {
            module.PackWeights();
        }
        var x = Tensor.Randn([row.Steps, row.Batch, module.InputSize], DType.Float32, new Generator(42));
        var xs = x.ToArray<float>();
        using var opts = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(Path.Combine(models, row.Model + ".onnx"), opts);
        var inputName = session.InputMetadata.Keys.First();
        var outputNames = session.OutputMetadata.Keys.ToArray();
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(xs, [row.Steps, row.Batch, module.InputSize]);
        string[] inputNames = [inputName];
        OrtValue[] inputs = [input];
        float[] OrtRun()
        {
            using var outs = session.Run(runOptions, inputNames, inputs, outputNames);
            return outs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        void OrtRunOnly()
        {
            using var outs = session.Run(runOptions, inputNames, inputs, outputNames);
        }

        var hout = module.HiddenSize * module.NumDirections;
        float[] seq;
        Action sequinRun;
        var state = row.Streaming ? module.CreateState(row.Batch, row.PackWeights) : null;
        var y = new float[row.Batch * hout];
        using (new NoGrad())
        {
            if (row.Streaming)
            {
                module.Step(xs, state!, y);
                seq = (float[])y.Clone();
                sequinRun = () => module.Step(xs, state!, y);
            }
            else
            {
                seq = SequinForward(module, x).ToArray<float>();
                sequinRun = () => SequinForward(module, x);
            }
        }
        var ort = OrtRun();
        if (ort.Length != seq.Length)
        {
            throw new InvalidOperationException($"compare: {row.Name}: ONNX Runtime returned {ort.Length} values, Sequin {seq.Length}.");
        }
        double maxDiff = 0;
        for (var i = 0; i < ort.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(ort[i] - seq[i]));
        }
        if (!(maxDiff <= 1e-4))
        {
            throw new InvalidOperationException($"compare: {row.Name}: outputs differ, max |Δ| = {maxDiff:G3} > 1e-4.");
        }

        // Streaming rows time batches of calls (a single step is microseconds); full rows time single calls.
        var inner = 1;
        using (new NoGrad())
        {
            var probe = Stopwatch.StartNew();
            sequinRun();
            OrtRunOnly();
            var once = probe.Elapsed.TotalSeconds;
            if (once < 2e-3)
            {
                inner = (int)Math.Clamp(4e-3 / Math.Max(once, 1e-6), 1, 1000);
            }
            var reps = (int)Math.Clamp(8.0 / Math.Max(once * inner, 1e-6), 10, 50);
            // Warm up for at least half a second, and until the JIT has compiled nothing for WarmupJitQuietSeconds: .NET
            // compiles hot methods again, optimised, on a background thread, which takes a core from Sequin's two threads
            // while it works. Half a second alone was not enough: perf saw the tiered-compilation thread preempt
            // Sequin's worker through the B = 1 row's timed runs, and in the layer tool it was most of the split's
            // waits over 100 µs (2.5 of 3.6 ms per call; 0.4 ms with tiered compilation off). The warm-up runs what a
            // timed repetition runs, the probes included, without the pauses.
            var warm = Stopwatch.StartNew();
            var jitted = JitInfo.GetCompiledMethodCount();
            var lastJit = 0.0;
            var sinceJit = 0;
            for (var w = 0; w < 3 || warm.Elapsed.TotalSeconds < 0.5 ||
                ((warm.Elapsed.TotalSeconds - lastJit < WarmupJitQuietSeconds || sinceJit < WarmupJitQuietRuns) && warm.Elapsed.TotalSeconds < WarmupMaxSeconds);
                w++, sinceJit++)
            {
                for (var i = 0; i < inner; i++)
                {
                    sequinRun();
                    OrtRunOnly();
                }
                FmaPeak.Probe(threads);
                if (JitInfo.GetCompiledMethodCount() is var now && now != jitted)
                {
                    jitted = now;
                    lastJit = warm.Elapsed.TotalSeconds;
                    sinceJit = 0;
                }
            }
            var warmupSeconds = warm.Elapsed.TotalSeconds;
            var ts = new double[reps];
            var to = new double[reps];
            var host = new double[reps];
            for (var r = 0; r < reps; r++)
            {
                // A pause before each side, so neither starts while the other's worker threads are still spinning.
                Thread.Sleep(QuietMs);
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < inner; i++)
                {
                    OrtRunOnly();
                }
                to[r] = sw.Elapsed.TotalMilliseconds / inner;
                Thread.Sleep(QuietMs);
                sw.Restart();
                for (var i = 0; i < inner; i++)
                {
                    sequinRun();
                }
                ts[r] = sw.Elapsed.TotalMilliseconds / inner;
                // After an idle pause a core here runs slowly for its first milliseconds, which a probe would read as
                // a busy host, so two unrecorded probes come first: after 50 ms idle, a single probe read about 75% of
                // the peak in half the cases, and one preceded by two others in one case out of ten.
                FmaPeak.Probe(threads);
                FmaPeak.Probe(threads);
                host[r] = FmaPeak.Probe(threads);
            }
            return new Result(row.Name, Median(ts), Median(to), Gflop(module, row.Steps, row.Batch), maxDiff, Median(host), warmupSeconds);
        }
    }

    /// <summary>
    /// Seconds and warm-up repetitions without a JIT compilation that end a row's warm-up (after its first half second).
    /// A method runs at the first tier until it has been called 30 times, then instrumented for 30 more calls, and is
    /// compiled optimised after a delay of 100 ms or more: a method called once per layer call needs about 60 calls, and
    /// with 0.3 s of quiet a B = 1 row still saw 247 compilations during its timed runs.
    /// </summary>
    private const double WarmupJitQuietSeconds = 1.0;

    private const int WarmupJitQuietRuns = 10;

    /// <summary>The longest a row's warm-up waits for the JIT to go quiet.</summary>
    private const double WarmupMaxSeconds = 20;

    private static double Median(double[] v)
    {
        var s = (double[])v.Clone();
        Array.Sort(s);
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[(s.Length / 2) - 1] + s[s.Length / 2]);
    }

    /// <summary>
    /// Training throughput of the d2l preset (one-hot LSTM 256, batch 32 × 35, SGD): the median of epochs 9-24, tokens
    /// per second as the trainer reports them (forward, backward, clipping and the optimizer step). An epoch is only nine
    /// batches, so the first epochs still run code the JIT has not optimised yet.
    /// </summary>
    private static double D2lTokensPerSecond()
    {
        const int Warmup = 8, Epochs = 24;
        var options = Sequin.Training.TrainOptions.D2lPreset();
        options.Epochs = Epochs;
        options.Seed = 0;
        var rates = new List<double>();
        Sequin.Training.LanguageModelTrainer.Run(options, onEpoch: e =>
        {
            if (e.Epoch > Warmup)
            {
                rates.Add(e.TokensPerSecond);
            }
        });
        var tps = Median([.. rates]);
        Console.WriteLine($"d2l preset training (sequin train --preset d2l): {tps:F0} tokens/s (median of epochs {Warmup + 1}-{Epochs})");
        return tps;
    }

    /// <summary>Sequin's forward + backward of lstm_i256_h512 at T = 100, B = 64 in training mode: the median of 6 runs after one, in ms.</summary>
    private static double ForwardBackward(string models)
    {
        var module = (LSTM)LoadModule(models, "lstm_i256_h512", out _);
        module.Train();
        var x = Tensor.Randn([100, 64, 256], DType.Float32, new Generator(42));
        var times = new double[6];
        for (var r = -1; r < times.Length; r++)
        {
            module.ZeroGrad();
            var sw = Stopwatch.StartNew();
            var (y, _, _) = module.Forward(x);
            y.Sum().Backward();
            if (r >= 0)
            {
                times[r] = sw.Elapsed.TotalMilliseconds;
            }
        }
        var fwd = Gflop(module, 100, 64);
        var median = Median(times);
        Console.WriteLine($"Sequin forward+backward lstm_i256_h512_t100_b64: {median:F1} ms (median of {times.Length}; forward alone is {fwd:F1} GFLOP, backward about twice that)");
        return median;
    }

    /// <summary>
    /// SGEMM 1024³: the median of 10 runs, the FP32 peak (best of three long FMA runs), and the median share of each run
    /// against an FMA probe taken right after it (<see cref="FmaPeak.Probe"/>): the SGEMM median alone against the best
    /// peak reads the host's state as well as the kernel (one run read 74% when the others read 79-85%).
    /// </summary>
    private static (double Gflops, double Peak, string How, double PairedShare) SgemmPeak(int threads)
    {
        const int n = 1024;
        var rng = new Random(1);
        var a = new float[n * n];
        var b = new float[n * n];
        var c = new float[n * n];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = (float)rng.NextDouble();
            b[i] = (float)rng.NextDouble();
        }
        Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
        var cores = Math.Min(threads, Environment.ProcessorCount);
        var times = new double[10];
        var shares = new double[times.Length];
        for (var r = 0; r < times.Length; r++)
        {
            var sw = Stopwatch.StartNew();
            Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
            times[r] = sw.Elapsed.TotalSeconds;
            shares[r] = 2.0 * n * n * n / times[r] / 1e9 / FmaPeak.Probe(cores);
        }
        var gflops = 2.0 * n * n * n / Median(times) / 1e9;
        var (peak, lanes) = FmaPeak.Measure(cores);
        // How many full-width FMAs a core retires per cycle is not visible from .NET: two on Zen 5 and most AVX-512
        // Xeons, one on Zen 4 (its 512-bit operations run on two 256-bit pipes), so both readings of the clock are given.
        var ghz2 = peak / (cores * 2 * lanes * 2);
        return (gflops, peak,
            $"measured: {cores} threads each running 12 independent {lanes}-lane FMA chains, best of 3; " +
            $"= {cores} cores × {lanes} lanes × 2 flop × 2 full-width FMAs per cycle at an effective {ghz2:F2} GHz, " +
            $"or × 1 per cycle at {2 * ghz2:F2} GHz (Zen 4)", Median(shares));
    }
}
