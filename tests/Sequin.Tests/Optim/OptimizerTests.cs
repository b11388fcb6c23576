using Sequin.Optim;
using Sequin.Tensors;

namespace Sequin.Tests.Optim;

public class OptimizerTests
{
    private static Tensor P(params double[] v) => Tensor.FromArray(v, v.Length).RequiresGrad_();

    [Fact]
    public void SGD_MomentumWithDampening_FollowsRecurrence()
    {
        var p = P(1.0);
        var opt = new SGD([p], lr: 0.1, momentum: 0.5, dampening: 0.2);
        p.Grad = Tensor.FromArray([2.0], 1);
        opt.Step(); // buf = g = 2 (no dampening on the first step), p = 1 - 0.2
        Assert.Equal(0.8, p.Item(), 12);
        p.Grad = Tensor.FromArray([1.0], 1);
        opt.Step(); // buf = 0.5*2 + 0.8*1 = 1.8, p = 0.8 - 0.18
        Assert.Equal(0.62, p.Item(), 12);
    }

    [Fact]
    public void Adam_AmsgradUsesRunningMaxOfSecondMoment()
    {
        var p = P(0.0);
        var opt = new Adam([p], lr: 0.1, amsgrad: true);
        p.Grad = Tensor.FromArray([10.0], 1);
        opt.Step();
        // Step 1: m = 1, v = 0.1; bias-corrected m̂ = 10, √v̂ = 10 → update ≈ −lr.
        Assert.Equal(-0.1, p.Item(), 6);
        p.Grad = Tensor.FromArray([0.0], 1);
        opt.Step();
        // Step 2: m = 0.9, v = 0.0999 < max 0.1: denominator uses 0.1.
        var m = 0.9;
        var denom = (Math.Sqrt(0.1) / Math.Sqrt(1 - (0.999 * 0.999))) + 1e-8;
        Assert.Equal(-0.1 - (0.1 / (1 - 0.81) * m / denom), p.Item(), 9);
    }

    /// <summary>
    /// Adam's vectorised update (37 elements: whole vectors and a scalar tail) against a scalar reference written here
    /// with the same operations in the same order: equal to the last bit over six steps.
    /// </summary>
    [Fact]
    public void Adam_VectorisedUpdate_EqualsScalarReference()
    {
        const int N = 37;
        var rng = new Random(3);
        var start = Enumerable.Range(0, N).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var p = Tensor.FromArray((double[])start.Clone(), N).RequiresGrad_();
        var opt = new Adam([p], lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6);
        var (refP, m, v) = ((double[])start.Clone(), new double[N], new double[N]);
        for (var step = 1; step <= 6; step++)
        {
            var g = Enumerable.Range(0, N).Select(_ => (rng.NextDouble() * 4) - 2).ToArray();
            p.Grad = Tensor.FromArray(g, N);
            opt.Step();
            var bc1 = 1 - Math.Pow(0.8, step);
            var bc2Sqrt = Math.Sqrt(1 - Math.Pow(0.99, step));
            for (var i = 0; i < N; i++)
            {
                m[i] += (g[i] - m[i]) * (1 - 0.8);
                v[i] = (v[i] * 0.99) + ((1 - 0.99) * g[i] * g[i]);
                refP[i] -= 0.01 / bc1 * m[i] / ((Math.Sqrt(v[i]) / bc2Sqrt) + 1e-6);
            }
            Assert.Equal(refP, p.ToArray<double>());
        }
    }

    [Fact]
    public void RMSprop_CenteredWithMomentum_FollowsFormula()
    {
        var p = P(1.0);
        var opt = new RMSprop([p], lr: 0.01, alpha: 0.9, eps: 1e-8, momentum: 0.5, centered: true);
        p.Grad = Tensor.FromArray([2.0], 1);
        opt.Step();
        var sq = 0.1 * 4;
        var ga = 0.1 * 2;
        var avg = Math.Sqrt(sq - (ga * ga)) + 1e-8;
        var buf = 2 / avg;
        Assert.Equal(1 - (0.01 * buf), p.Item(), 12);
    }

    [Fact]
    public void Maximize_AscendsTheGradient()
    {
        var p = P(1.0);
        var opt = new SGD([p], lr: 0.5, maximize: true);
        p.Grad = Tensor.FromArray([1.0], 1);
        opt.Step();
        Assert.Equal(1.5, p.Item(), 12);
    }

    [Fact]
    public void StateDict_RoundTripContinuesIdentically()
    {
        double[] Run(bool reload)
        {
            var p = P(1.0, -2.0);
            Optimizer opt = new Adam([p], lr: 0.05);
            for (var s = 0; s < 6; s++)
            {
                if (reload && s == 3)
                {
                    var saved = opt.StateDict();
                    opt = new Adam([p], lr: 0.05);
                    opt.LoadStateDict(saved);
                }
                p.Grad = p.Detach().Mul(2.0).Add(Tensor.FromArray([0.3 * s, 1.0], 2));
                opt.Step();
            }
            return p.ToArray<double>();
        }
        Assert.Equal(Run(false), Run(true));
    }

    [Fact]
    public void LoadStateDict_RejectsOtherShapes()
    {
        var a = P(1.0, 2.0);
        var opt = new SGD([a], lr: 0.1, momentum: 0.9);
        a.Grad = Tensor.FromArray([1.0, 1.0], 2);
        opt.Step();
        var other = new SGD([P(1.0, 2.0, 3.0)], lr: 0.1, momentum: 0.9);
        Assert.Throws<InvalidOperationException>(() => other.LoadStateDict(opt.StateDict()));
    }

    [Fact]
    public void ClipGradNorm_ScalesToMaxNormAndReturnsTotal()
    {
        var a = P(0, 0);
        var b = P(0);
        a.Grad = Tensor.FromArray([3.0, 0.0], 2);
        b.Grad = Tensor.FromArray([4.0], 1);
        var total = ClipGrad.ClipGradNorm([a, b], 1.0);
        Assert.Equal(5.0, total, 12);
        var scale = 1.0 / (5.0 + 1e-6);
        Assert.Equal(3 * scale, a.Grad.ToArray<double>()[0], 12);
        Assert.Equal(4 * scale, b.Grad.Item(), 12);
        b.Grad = Tensor.FromArray([double.NaN], 1);
        Assert.Throws<InvalidOperationException>(() => ClipGrad.ClipGradNorm([a, b], 1.0, errorIfNonfinite: true));
    }

    /// <summary>The vectorised float sum of squares against the element loop in double, on lengths around the vector width.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(1000)]
    [InlineData(65537)]
    public void SumOfSquares_MatchesTheElementLoop(int length)
    {
        var rng = new Random(length);
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 4)));
        }
        var expected = 0.0;
        foreach (var v in values)
        {
            expected += (double)v * v;
        }
        Assert.Equal(expected, ClipGrad.SumOfSquares(values), 1e-12 * Math.Max(1, expected));
        if (length > 0)
        {
            values[length / 2] = float.NaN;
            Assert.True(double.IsNaN(ClipGrad.SumOfSquares(values)));
            values[length / 2] = float.PositiveInfinity;
            Assert.Equal(double.PositiveInfinity, ClipGrad.SumOfSquares(values));
        }
    }

    [Fact]
    public void GradNorm_OfFloatGradients_IsTheTwoNormOfAllOfThem()
    {
        var a = Tensor.Zeros([40], DType.Float32, requiresGrad: true);
        var b = Tensor.Zeros([3], DType.Float32, requiresGrad: true);
        a.Grad = Tensor.Full([40], 0.5, DType.Float32);
        b.Grad = Tensor.Full([3], 2.0, DType.Float32);
        // 40 · 0.25 + 3 · 4 = 22.
        Assert.Equal(Math.Sqrt(22), ClipGrad.GradNorm([a, b]), 12);
        Assert.Equal(Math.Sqrt(22), ClipGrad.ClipGradNorm([a, b], 100.0), 12);
    }

    [Fact]
    public void ClipGradValue_Clamps()
    {
        var a = P(0, 0, 0);
        a.Grad = Tensor.FromArray([-3.0, 0.5, 2.0], 3);
        ClipGrad.ClipGradValue([a], 1.0);
        Assert.Equal(new[] { -1.0, 0.5, 1.0 }, a.Grad.ToArray<double>());
    }

    [Fact]
    public void Schedulers_FollowClosedForms()
    {
        var opt = new SGD([P(0)], lr: 1.0);
        var step = new StepLR(opt, stepSize: 2, gamma: 0.5);
        var lrs = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            step.Step();
            lrs.Add(opt.ParamGroups[0].Lr);
        }
        Assert.Equal(new[] { 1.0, 0.5, 0.5, 0.25, 0.25 }, lrs);
        var opt2 = new SGD([P(0)], lr: 0.1);
        var cos = new CosineAnnealingLR(opt2, tMax: 4, etaMin: 0.01);
        cos.Step();
        cos.Step();
        Assert.Equal(0.01 + (0.09 * 0.5), opt2.ParamGroups[0].Lr, 12);
        cos.Step();
        cos.Step();
        Assert.Equal(0.01, opt2.ParamGroups[0].Lr, 12);
    }
}
