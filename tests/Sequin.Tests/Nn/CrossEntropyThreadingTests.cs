using Sequin.Kernels;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

/// <summary>
/// Cross-entropy splits its elements across threads when there are enough of them: the loss and the gradient must not
/// depend on the thread count (the split only changes who computes each element; sums stay in element order), and an
/// out-of-range target found on a worker still reaches the caller.
/// </summary>
[Collection(InferencePathTests.KernelSettings)] // sets Parallelism.MaxThreads, which every kernel call reads
public class CrossEntropyThreadingTests
{
    [Theory]
    [InlineData(new[] { 3000, 28 }, "mean", 0.0, false)]
    [InlineData(new[] { 3000, 28 }, "sum", 0.1, true)]
    [InlineData(new[] { 40, 7, 60 }, "mean", 0.2, true)]
    [InlineData(new[] { 40, 7, 60 }, "none", 0.0, false)]
    public void LossAndGradient_DoNotDependOnThreads(int[] shape, string reduction, double smoothing, bool weighted)
    {
        var saved = Parallelism.MaxThreads;
        try
        {
            var results = new List<double[]>();
            foreach (var threads in new[] { 1, 4 })
            {
                Parallelism.MaxThreads = threads;
                var g = new Generator(5);
                var x = Tensor.Randn(shape, DType.Float32, g, requiresGrad: true);
                int[] targetShape = [shape[0], .. shape[2..]];
                var c = shape[1];
                var target = Tensor.RandInt(0, c, targetShape, generator: g);
                var t = target.ToArray<long>();
                for (var i = 0; i < t.Length; i += 17)
                {
                    t[i] = -100; // ignored
                }
                target = Tensor.FromArray(t, targetShape);
                var weight = weighted ? Tensor.Rand([c], DType.Float32, g) : null;
                var loss = Functional.CrossEntropy(x, target, weight, reduction: reduction, labelSmoothing: smoothing);
                (reduction == "none" ? loss.Sum() : loss).Backward();
                results.Add([.. loss.ToDoubleArray(), .. x.Grad!.ToDoubleArray()]);
            }
            Assert.Equal(results[0], results[1]);
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    [Fact]
    public void OutOfRangeTarget_OnAWorker_ReachesTheCaller()
    {
        var saved = Parallelism.MaxThreads;
        Parallelism.MaxThreads = 4;
        try
        {
            var x = Tensor.Randn([4000, 10], DType.Float32, new Generator(6));
            var t = new long[4000];
            t[3999] = 10; // in the last range
            var e = Assert.Throws<IndexOutOfRangeException>(() => Functional.CrossEntropy(x, Tensor.FromArray(t, 4000)));
            Assert.Contains("out of bounds for 10 classes", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }
}
