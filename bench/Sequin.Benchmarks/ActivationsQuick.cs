using System.Diagnostics;
using System.Numerics.Tensors;
using Sequin.Kernels;

namespace Sequin.Benchmarks;

/// <summary>`act` mode: Sequin's activations against TensorPrimitives on the same data (ratios in one run).</summary>
internal static class ActivationsQuick
{
    internal static void Run()
    {
        const int n = 64 * 2048;
        var rng = new Random(1);
        var xf = new float[n];
        var yf = new float[n];
        var xd = new double[n];
        var yd = new double[n];
        for (var i = 0; i < n; i++)
        {
            xd[i] = (rng.NextDouble() * 16) - 8;
            xf[i] = (float)xd[i];
        }
        Time("sigmoid f32", () => Activations.Sigmoid(xf, yf), () => TensorPrimitives.Sigmoid<float>(xf, yf));
        Time("tanh    f32", () => Activations.Tanh(xf, yf), () => TensorPrimitives.Tanh<float>(xf, yf));
        Time("exp     f32", () => Activations.Exp(xf, yf), () => TensorPrimitives.Exp<float>(xf, yf));
        Time("sigmoid f64", () => Activations.Sigmoid(xd, yd), () => TensorPrimitives.Sigmoid<double>(xd, yd));
        Time("tanh    f64", () => Activations.Tanh(xd, yd), () => TensorPrimitives.Tanh<double>(xd, yd));
        Time("exp     f64", () => Activations.Exp(xd, yd), () => TensorPrimitives.Exp<double>(xd, yd));
    }

    private static void Time(string name, Action ours, Action theirs)
    {
        double bestOurs = double.MaxValue, bestTheirs = double.MaxValue;
        for (var round = 0; round < 15; round++)
        {
            bestOurs = Math.Min(bestOurs, Measure(ours));
            bestTheirs = Math.Min(bestTheirs, Measure(theirs));
        }
        Console.WriteLine($"{name}: sequin {bestOurs * 1e6,8:F1} us  TensorPrimitives {bestTheirs * 1e6,8:F1} us  ratio {bestTheirs / bestOurs,5:F2}");
    }

    private static double Measure(Action a)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            a();
        }
        return sw.Elapsed.TotalSeconds / 20;
    }
}
