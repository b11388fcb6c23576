using Sequin.Kernels;

namespace Sequin.Tests.Kernels;

/// <summary>The vectorised activations against <see cref="Math"/> on every instruction-set path, tails and specials included.</summary>
public class ActivationsTests
{
    public static TheoryData<int, string> PathsAndFunctions()
    {
        var data = new TheoryData<int, string>();
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Avx2, SimdLevel.Avx512 })
        {
            foreach (var f in new[] { "exp", "sigmoid", "tanh" })
            {
                data.Add((int)level, f);
            }
        }
        return data;
    }

    private static readonly double[] Specials =
    [
        0, -0.0, 1e-10, -1e-10, 1e-30, -3e-4, 0.6249, 0.625, -0.6251, 1, -1, 9, -9, 20, -20, 44, -44,
        80, 88.5, 88.72, 88.73, 89, -87, -87.5, -100, -103.9, -104, -120, 1000, -1000,
        double.PositiveInfinity, double.NegativeInfinity, double.NaN,
    ];

    private static double[] Inputs(int seed)
    {
        var rng = new Random(seed);
        var x = new List<double>(Specials);
        for (var i = 0; i < 3000; i++)
        {
            x.Add((rng.NextDouble() * 2) - 1);
            x.Add((rng.NextDouble() * 40) - 20);
            x.Add((rng.NextDouble() * 240) - 120);
        }
        x.Add(0.5); // odd length: exercises the partial last vector
        return [.. x];
    }

    private static double Expected(string f, double x) => f switch
    {
        "exp" => Math.Exp(x),
        "sigmoid" => 1.0 / (1.0 + Math.Exp(-x)),
        _ => Math.Tanh(x),
    };

    [Theory]
    [MemberData(nameof(PathsAndFunctions))]
    public void Float_MatchesMath_WithinFewUlp(int level, string f)
    {
        using var _ = Simd.Limit((SimdLevel)level);
        var xd = Inputs(1);
        var x = xd.Select(v => (float)v).ToArray();
        var y = new float[x.Length];
        Run(f, x, y);
        for (var i = 0; i < x.Length; i++)
        {
            var expected = Expected(f, x[i]);
            if (double.IsNaN(expected))
            {
                Assert.True(float.IsNaN(y[i]), $"{f}({x[i]}) = {y[i]}, expected NaN");
                continue;
            }
            if (double.IsInfinity(expected) || expected > float.MaxValue)
            {
                Assert.Equal(float.PositiveInfinity, y[i]);
                continue;
            }
            if (f == "tanh")
            {
                // Odd: the sign follows x exactly, zeros included (tanh(−0) = −0, as in PyTorch).
                Assert.True(double.IsNegative(expected) == float.IsNegative(y[i]), $"tanh({x[i]:R}) = {y[i]:R}: wrong sign on {(SimdLevel)level}");
            }
            // 3 ulp relative, or 2 subnormal ulps absolute for results below float's normal range.
            var tol = Math.Max(3 * 1.1920929e-7 * Math.Abs(expected), 2 * 1.401298e-45);
            Assert.True(Math.Abs(y[i] - expected) <= tol, $"{f}({x[i]:R}) = {y[i]:R}, expected {expected:R} (tolerance {tol:G3}) on {(SimdLevel)level}");
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndFunctions))]
    public void Double_MatchesMath_WithinFewUlp(int level, string f)
    {
        using var _ = Simd.Limit((SimdLevel)level);
        var x = Inputs(2);
        var y = new double[x.Length];
        Run(f, x, y);
        for (var i = 0; i < x.Length; i++)
        {
            var expected = Expected(f, x[i]);
            if (double.IsNaN(expected))
            {
                Assert.True(double.IsNaN(y[i]), $"{f}({x[i]}) = {y[i]}, expected NaN");
                continue;
            }
            if (f == "tanh")
            {
                Assert.True(double.IsNegative(expected) == double.IsNegative(y[i]), $"tanh({x[i]:R}) = {y[i]:R}: wrong sign on {(SimdLevel)level}");
            }
            if (double.IsInfinity(expected))
            {
                Assert.Equal(expected, y[i]);
                continue;
            }
            var tol = Math.Max(4 * 2.220446e-16 * Math.Abs(expected), 1e-300);
            Assert.True(Math.Abs(y[i] - expected) <= tol, $"{f}({x[i]:R}) = {y[i]:R}, expected {expected:R} (tolerance {tol:G3}) on {(SimdLevel)level}");
        }
    }

    [Fact]
    public void InPlace_GivesTheSameAsOutOfPlace()
    {
        var x = Inputs(3).Select(v => (float)v).Take(1001).ToArray();
        var y = new float[x.Length];
        Activations.Tanh(x, y);
        Activations.Tanh(x, x);
        Assert.Equal(y, x);
    }

    [Fact]
    public void ShortDestination_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Activations.Sigmoid(new float[5], new float[4]));
        Assert.Contains("x has 5 elements but y only 4", ex.Message, StringComparison.Ordinal);
    }

    private static void Run(string f, float[] x, float[] y)
    {
        switch (f)
        {
            case "exp": Activations.Exp(x, y); break;
            case "sigmoid": Activations.Sigmoid(x, y); break;
            default: Activations.Tanh(x, y); break;
        }
    }

    private static void Run(string f, double[] x, double[] y)
    {
        switch (f)
        {
            case "exp": Activations.Exp(x, y); break;
            case "sigmoid": Activations.Sigmoid(x, y); break;
            default: Activations.Tanh(x, y); break;
        }
    }
}
