using System.Diagnostics;
using System.Globalization;
using Sequin.Kernels;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Benchmarks;

/// <summary>
/// `lm [THREADS] [STEPS] [HIDDEN] [sgd|adam]`: where a training step of the d2l preset's model goes (one-hot LSTM 256
/// on 28 characters, batch 32 × 35, SGD; `lm 2 200 128 adam` is the bare `sequin train`): medians over STEPS steps (default 200) of one-hot, LSTM forward, head, loss, backward, clipping
/// and the optimizer step, in µs (for tuning, not for reports); SEQUIN_AB as in the `layer` tool.
/// </summary>
internal static class LmQuick
{
    internal static void Run(string[] args)
    {
        Parallelism.MaxThreads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        var steps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
        Tunables.FromEnvironment();
        const int V = 28, Batch = 32, Len = 35;
        var hidden = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 256;
        var model = new RnnLanguageModel("lstm", V, hidden, generator: new Generator(1));
        model.Train();
        Sequin.Optim.Optimizer optimizer = args.Length > 4 && args[4] == "adam"
            ? new Sequin.Optim.Adam(model.Parameters(), lr: 0.01)
            : new Sequin.Optim.SGD(model.Parameters(), lr: 1);
        var g = new Generator(2);
        var names = new[] { "one-hot", "lstm", "head", "loss", "backward", "clip", "step", "total" };
        var times = names.Select(_ => new List<double>()).ToArray();
        var ab = LayerQuick.AbSwitch(Environment.GetEnvironmentVariable("SEQUIN_AB"), model.Rnn);
        var timesB = names.Select(_ => new List<double>()).ToArray();
        for (var i = 0; i < steps + 20; i++)
        {
            // With SEQUIN_AB, the two sides in A B B A order.
            var sideB = ab is not null && (i % 4 == 1 || i % 4 == 2);
            ab?.Invoke(sideB);
            var tokens = Tensor.RandInt(0, V, [Batch, Len], generator: g);
            var targets = Tensor.RandInt(0, V, [Batch, Len], generator: g);
            var t = new long[names.Length];
            t[0] = Stopwatch.GetTimestamp();
            var x = Functional.OneHot(tokens, V).To(DType.Float32);
            t[1] = Stopwatch.GetTimestamp();
            var (o, _, _) = ((LSTM)model.Rnn).Forward(x);
            t[2] = Stopwatch.GetTimestamp();
            var logits = model.Fc.Forward(o);
            t[3] = Stopwatch.GetTimestamp();
            var loss = RnnLanguageModel.Loss(logits, targets);
            _ = loss.Item();
            t[4] = Stopwatch.GetTimestamp();
            optimizer.ZeroGrad();
            loss.Backward();
            t[5] = Stopwatch.GetTimestamp();
            Sequin.Optim.ClipGrad.ClipGradNorm(model.Parameters(), 1);
            t[6] = Stopwatch.GetTimestamp();
            optimizer.Step();
            t[7] = Stopwatch.GetTimestamp();
            if (i >= 20)
            {
                var side = sideB ? timesB : times;
                for (var k = 0; k < names.Length - 1; k++)
                {
                    side[k].Add((t[k + 1] - t[k]) * 1e6 / Stopwatch.Frequency);
                }
                side[^1].Add((t[^1] - t[0]) * 1e6 / Stopwatch.Frequency);
            }
        }
        Console.WriteLine($"GC: {GC.GetTotalPauseDuration().TotalMilliseconds / (steps + 20):F3} ms pause per step, gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}, allocated {GC.GetTotalAllocatedBytes() / 1e6 / (steps + 20):F1} MB per step");
        void Print(string label, List<double>[] side)
        {
            var medians = side.Select(l => l.Order().ElementAt(l.Count / 2)).ToArray();
            Console.WriteLine(label + string.Join("  ", names.Select((n, k) => $"{n} {medians[k]:F0}")) + $" µs; {Batch * Len / (medians[^1] * 1e-6):F0} tokens/s");
        }
        Print(ab is null ? "" : "A: ", times);
        if (ab is not null)
        {
            Print("B: ", timesB);
        }
    }
}
