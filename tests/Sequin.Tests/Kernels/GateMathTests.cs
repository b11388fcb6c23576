using System.Runtime.Intrinsics;
using Sequin.Kernels;

namespace Sequin.Tests.Kernels;

/// <summary>
/// The float sigmoid and tanh of the fused gate passes (<c>VecMath.GateSigmoid</c>/<c>GateTanh</c>: e^x only for
/// x ≤ 0) against the float64 functions, in units in the last place of the float result, on every vector width.
/// </summary>
public class GateMathTests
{
    private static IEnumerable<float> Inputs()
    {
        var rng = new Random(3);
        for (var i = 0; i <= 400_000; i++)
        {
            yield return -100f + (200f * i / 400_000f);
        }
        for (var i = 0; i < 100_000; i++)
        {
            // Log-uniform magnitudes from 1e-30 to 100, both signs: the small-|x| branch and the tiny sigmoid tail.
            var m = (float)Math.Exp(rng.NextDouble() * Math.Log(1e32)) * 1e-30f;
            yield return rng.Next(2) == 0 ? m : -m;
        }
        foreach (var x in new[] { 0f, -0f, 0.625f, -0.625f, 0.62499997f, 87.33654f, -87.33654f, -88f, -103f, -104f, 88.8f, 1e-45f, -1e-45f, float.MaxValue, float.MinValue })
        {
            yield return x;
        }
    }

    private static double Ulp(float reference)
    {
        var a = Math.Abs(reference);
        return a < float.Epsilon ? float.Epsilon : (double)MathF.BitIncrement(a) - a;
    }

    private static (double MaxUlp, float At) MaxError(Func<Vector256<float>, Vector256<float>> f256, Func<Vector512<float>, Vector512<float>>? f512, Func<double, double> reference)
    {
        var xs = Inputs().ToArray();
        var worst = (0.0, 0f);
        for (var i = 0; i + 16 <= xs.Length; i += 16)
        {
            var outs = new float[16];
            if (f512 is not null)
            {
                f512(Vector512.Create(xs.AsSpan(i, 16))).CopyTo(outs);
            }
            else
            {
                f256(Vector256.Create(xs.AsSpan(i, 8))).CopyTo(outs);
                f256(Vector256.Create(xs.AsSpan(i + 8, 8))).CopyTo(outs.AsSpan(8));
            }
            for (var k = 0; k < 16; k++)
            {
                var want = (float)reference(xs[i + k]);
                var err = Math.Abs((double)outs[k] - want) / Ulp(want);
                if (err > worst.Item1)
                {
                    worst = (err, xs[i + k]);
                }
            }
        }
        return worst;
    }

    public static TheoryData<bool> Widths => new() { false, true };

    /// <summary>e^x / (1 + e^x) for x &lt; 0 rounds three times after the exponential: 3 ulp, as for the general sigmoid.</summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void GateSigmoid_IsWithinThreeUlp_LikeTheGeneralSigmoid(bool wide)
    {
        if (wide && !Vector512.IsHardwareAccelerated)
        {
            return;
        }
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        var (ulp, at) = MaxError(VecMath<float, Ops256<float>, Vector256<float>>.GateSigmoid,
            wide ? VecMath<float, Ops512<float>, Vector512<float>>.GateSigmoid : null, Sigmoid);
        var (general, _) = MaxError(VecMath<float, Ops256<float>, Vector256<float>>.Sigmoid,
            wide ? VecMath<float, Ops512<float>, Vector512<float>>.Sigmoid : null, Sigmoid);
        Assert.True(ulp <= 3 && ulp <= general + 0.5, $"max error {ulp:F2} ulp at x = {at:R} (general sigmoid: {general:F2} ulp)");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void GateTanh_IsWithinTwoUlp(bool wide)
    {
        if (wide && !Vector512.IsHardwareAccelerated)
        {
            return;
        }
        var (ulp, at) = MaxError(VecMath<float, Ops256<float>, Vector256<float>>.GateTanh,
            wide ? VecMath<float, Ops512<float>, Vector512<float>>.GateTanh : null, Math.Tanh);
        Assert.True(ulp <= 2, $"max error {ulp:F2} ulp at x = {at:R}");
    }

    [Fact]
    public void GateFunctions_KeepNaNAndInfinities()
    {
        var x = Vector256.Create(float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1f, -1f, 50f);
        var s = VecMath<float, Ops256<float>, Vector256<float>>.GateSigmoid(x);
        var t = VecMath<float, Ops256<float>, Vector256<float>>.GateTanh(x);
        Assert.True(float.IsNaN(s[0]) && float.IsNaN(t[0]));
        Assert.Equal((1f, 0f, 0.5f), (s[1], s[2], s[3]));
        Assert.Equal((1f, -1f, 0f, 0f), (t[1], t[2], t[3], t[4]));
        Assert.True(float.IsNegative(t[4]), "tanh(−0) must be −0, as in Math.Tanh and PyTorch");
    }
}
