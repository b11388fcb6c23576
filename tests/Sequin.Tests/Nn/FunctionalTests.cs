using Sequin.Autograd;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

public class FunctionalTests
{
    private static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, DType.Float64, g, requiresGrad: true);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void LogSoftmax_GradCheck(int dim)
    {
        var g = new Generator(1);
        var x = R(g, 3, 4);
        var r = GradCheck.Run(a => Functional.LogSoftmax(a[0], dim), [x]);
        Assert.True(r.Passed, r.Message);
    }

    [Fact]
    public void Softmax_GradCheckOn3D()
    {
        var x = R(new Generator(2), 2, 3, 4);
        var r = GradCheck.Run(a => Functional.Softmax(a[0], 1), [x]);
        Assert.True(r.Passed, r.Message);
    }

    [Fact]
    public void LogSoftmax_IsStableForHugeLogits()
    {
        var x = Tensor.FromArray([1000.0, 1001.0, 1002.0], 3);
        var y = Functional.LogSoftmax(x, 0).ToArray<double>();
        // log softmax is shift invariant: same as for [0, 1, 2].
        var lse = Math.Log(1 + Math.E + (Math.E * Math.E));
        Assert.Equal(0 - lse, y[0], 12);
        Assert.Equal(2 - lse, y[2], 12);
    }

    [Fact]
    public void CrossEntropy_MeanMatchesHandComputedValue()
    {
        var logits = Tensor.FromArray([1.0, 2.0, 3.0, 0.5, 0.5, 0.5], 2, 3);
        var target = Tensor.FromArray([2L, 0L], 2);
        var loss = Functional.CrossEntropy(logits, target).Item();
        var l0 = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3;
        var l1 = Math.Log(3);
        Assert.Equal((l0 + l1) / 2, loss, 12);
    }

    [Fact]
    public void CrossEntropy_IgnoreIndexWeightsAndSmoothingFollowPyTorchFormula()
    {
        var logits = Tensor.FromArray([1.0, 2.0, 3.0, 0.5, -1.0, 2.0, 0.0, 0.0, 1.0], 3, 3);
        var target = Tensor.FromArray([2L, -100L, 0L], 3);
        var w = new[] { 0.2, 1.0, 3.0 };
        var weight = Tensor.FromArray(w, 3);
        const double eps = 0.1;
        var loss = Functional.CrossEntropy(logits, target, weight, labelSmoothing: eps).Item();
        double[] LogP(double[] row)
        {
            var lse = Math.Log(row.Sum(Math.Exp));
            return row.Select(v => v - lse).ToArray();
        }
        var rows = new[] { new[] { 1.0, 2.0, 3.0 }, new[] { 0.0, 0.0, 1.0 } };
        var ys = new[] { 2, 0 };
        double nll = 0, smooth = 0, denom = 0;
        for (var i = 0; i < 2; i++)
        {
            var lp = LogP(rows[i]);
            nll += -w[ys[i]] * lp[ys[i]];
            smooth += -Enumerable.Range(0, 3).Sum(c => w[c] * lp[c]);
            denom += w[ys[i]];
        }
        var expected = ((1 - eps) * nll / denom) + (eps / 3 * smooth / denom);
        Assert.Equal(expected, loss, 12);
    }

    [Theory]
    [InlineData("mean", 0.0)]
    [InlineData("sum", 0.2)]
    [InlineData("none", 0.3)]
    public void CrossEntropy_GradCheckWithSpatialDims(string reduction, double smoothing)
    {
        var g = new Generator(5);
        var x = R(g, 2, 4, 3);
        var target = Tensor.FromArray([0L, 3L, -100L, 1L, 2L, 2L], 2, 3);
        var weight = Tensor.FromArray([1.0, 0.5, 2.0, 1.5], 4);
        var r = GradCheck.Run(a => Functional.CrossEntropy(a[0], target, weight, reduction: reduction, labelSmoothing: smoothing), [x]);
        Assert.True(r.Passed, r.Message);
    }

    /// <summary>
    /// Probability targets against PyTorch's documented formula computed here in plain loops:
    /// ℓ_n = −Σ_c w_c·y'_nc·log softmax(x_n)_c with y' = (1−ε)·y + ε/C; mean divides by N.
    /// </summary>
    [Theory]
    [InlineData("mean", 0.0, false)]
    [InlineData("sum", 0.1, true)]
    [InlineData("none", 0.25, true)]
    public void CrossEntropy_ProbabilityTargets_FollowPyTorchFormula(string reduction, double eps, bool weighted)
    {
        var xs = new[] { new[] { 1.0, 2.0, 3.0 }, new[] { 0.5, -1.0, 2.0 }, new[] { 0.0, 0.0, 1.0 }, new[] { -2.0, 0.3, 0.7 } };
        var ys = new[] { new[] { 0.2, 0.3, 0.5 }, new[] { 1.0, 0.0, 0.0 }, new[] { 0.0, 0.6, 0.4 }, new[] { 0.1, 0.1, 0.8 } };
        var w = new[] { 0.2, 1.0, 3.0 };
        var loss = Functional.CrossEntropy(Tensor.FromArray(xs.SelectMany(r => r).ToArray(), 4, 3), Tensor.FromArray(ys.SelectMany(r => r).ToArray(), 4, 3),
            weighted ? Tensor.FromArray(w, 3) : null, reduction: reduction, labelSmoothing: eps).ToDoubleArray();
        var per = new double[4];
        for (var n = 0; n < 4; n++)
        {
            var lse = Math.Log(xs[n].Sum(Math.Exp));
            for (var c = 0; c < 3; c++)
            {
                per[n] -= (weighted ? w[c] : 1) * (((1 - eps) * ys[n][c]) + (eps / 3)) * (xs[n][c] - lse);
            }
        }
        var expected = reduction switch { "none" => per, "sum" => [per.Sum()], _ => [per.Sum() / 4] };
        Assert.Equal(expected.Length, loss.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], loss[i], 12);
        }
    }

    /// <summary>One-hot probabilities give the class-index loss (with weights compared by sum: PyTorch's mean divides by Σ w[y] for indices but by N for probabilities).</summary>
    [Theory]
    [InlineData("mean", 0.0, false)]
    [InlineData("mean", 0.2, false)]
    [InlineData("sum", 0.2, true)]
    [InlineData("none", 0.1, true)]
    public void CrossEntropy_OneHotProbabilities_EqualClassIndices(string reduction, double eps, bool weighted)
    {
        var g = new Generator(7);
        var x = Tensor.Randn([2, 4, 3], DType.Float64, g);
        long[] idx = [0, 3, 1, 1, 2, 0];
        var onehot = new double[2 * 4 * 3];
        for (var b = 0; b < 2; b++)
        {
            for (var k = 0; k < 3; k++)
            {
                onehot[(((b * 4) + (int)idx[(b * 3) + k]) * 3) + k] = 1;
            }
        }
        var weight = weighted ? Tensor.FromArray([1.0, 0.5, 2.0, 1.5], 4) : null;
        var byIndex = Functional.CrossEntropy(x, Tensor.FromArray(idx, 2, 3), weight, reduction: reduction, labelSmoothing: eps);
        var byProb = Functional.CrossEntropy(x, Tensor.FromArray(onehot, 2, 4, 3), weight, reduction: reduction, labelSmoothing: eps);
        Assert.True(byProb.AllClose(byIndex, rtol: 0, atol: 1e-12), $"{byProb} vs {byIndex}");
    }

    [Theory]
    [InlineData("mean", 0.0)]
    [InlineData("none", 0.3)]
    public void CrossEntropy_ProbabilityTargets_GradCheckInputAndTarget(string reduction, double smoothing)
    {
        var g = new Generator(6);
        var x = R(g, 2, 4, 3);
        var t = Functional.Softmax(Tensor.Randn([2, 4, 3], DType.Float64, g), 1).Detach();
        t.RequiresGrad = true;
        var weight = Tensor.FromArray([1.0, 0.5, 2.0, 1.5], 4);
        var r = GradCheck.Run(a => Functional.CrossEntropy(a[0], a[1], weight, reduction: reduction, labelSmoothing: smoothing), [x, t]);
        Assert.True(r.Passed, r.Message);
        var e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(x, Tensor.Zeros(2, 4)));
        Assert.Contains("must have the input's shape (2, 4, 3)", e.Message, StringComparison.Ordinal);
        var d = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(x, Tensor.Zeros([2, 4, 3], DType.Float32)));
        Assert.Contains("probability target is torch.float32 but the input is torch.float64", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CrossEntropy_BadTargetShapeExplainsLayout()
    {
        var x = Tensor.Zeros(2, 5, 28);
        var t = Tensor.Zeros([2, 5], DType.Int64);
        var e = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(x, t));
        Assert.Contains("(2, 28)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MSELoss_ValueAndGradCheck()
    {
        var a = Tensor.FromArray([1.0, 2.0, 4.0], 3);
        var b = Tensor.FromArray([0.0, 2.0, 1.0], 3);
        Assert.Equal((1.0 + 0 + 9) / 3, Functional.MSELoss(a, b).Item(), 12);
        Assert.Equal(10.0, Functional.MSELoss(a, b, "sum").Item(), 12);
        var g = new Generator(7);
        var r = GradCheck.Run(x => Functional.MSELoss(x[0], x[1]), [R(g, 2, 3), R(g, 2, 3)]);
        Assert.True(r.Passed, r.Message);
    }

    [Fact]
    public void OneHot_PlacesOnes()
    {
        var y = Functional.OneHot(Tensor.FromArray([2L, 0L], 2), 3);
        Assert.Equal(new Shape(2, 3), y.Shape);
        Assert.Equal(new long[] { 0, 0, 1, 1, 0, 0 }, y.ToArray<long>());
        Assert.Throws<ArgumentException>(() => Functional.OneHot(Tensor.FromArray([3L], 1), 3));
    }

    [Fact]
    public void Dropout_EvalIsIdentityAndTrainingScalesSurvivors()
    {
        var x = Tensor.Ones(1000);
        Assert.Same(x, Functional.Dropout(x, 0.3, training: false));
        var y = Functional.Dropout(x, 0.25, true, new Generator(3)).ToArray<float>();
        Assert.All(y, v => Assert.True(v == 0f || Math.Abs(v - (1 / 0.75f)) < 1e-6));
        var zeros = y.Count(v => v == 0);
        Assert.InRange(zeros, 180, 320);
        Assert.All(Functional.Dropout(x, 1.0).ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Dropout_GradientFlowsThroughMask()
    {
        var x = Tensor.Ones([50], DType.Float64, requiresGrad: true);
        var y = Functional.Dropout(x, 0.5, true, new Generator(9));
        y.Sum().Backward();
        Assert.Equal(y.Detach().ToArray<double>(), x.Grad!.ToArray<double>());
    }
}
