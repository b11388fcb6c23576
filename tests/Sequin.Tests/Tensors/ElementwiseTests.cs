using Sequin.Autograd;
using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

public class ElementwiseTests
{
    private static readonly double[] Xs = [-2.5, -1, -0.25, 0.5, 1.5, 3];

    private static Tensor X(DType dtype = DType.Float64) => Tensor.FromArray(Xs, 2, 3).To(dtype);

    public static TheoryData<string> UnaryNames => ["neg", "sigmoid", "tanh", "relu", "exp", "abs", "sign"];

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void Unary_MatchesMathPerElement(string op)
    {
        Func<double, double> f = op switch
        {
            "neg" => v => -v,
            "sigmoid" => v => 1 / (1 + Math.Exp(-v)),
            "tanh" => Math.Tanh,
            "relu" => v => Math.Max(v, 0),
            "exp" => Math.Exp,
            "abs" => Math.Abs,
            _ => v => Math.Sign(v),
        };
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = X(dtype);
            var y = Apply(op, x);
            Assert.Equal(dtype, y.DType);
            var tol = dtype == DType.Float32 ? 1e-6 : 1e-14;
            var actual = y.ToDoubleArray();
            var input = x.ToDoubleArray();
            for (var i = 0; i < Xs.Length; i++)
            {
                Assert.True(Math.Abs(actual[i] - f(input[i])) <= tol * Math.Max(1, Math.Abs(f(input[i]))), $"{op}({input[i]}) = {actual[i]}");
            }
        }
    }

    private static Tensor Apply(string op, Tensor x) => op switch
    {
        "neg" => x.Neg(),
        "sigmoid" => x.Sigmoid(),
        "tanh" => x.Tanh(),
        "relu" => x.Relu(),
        "exp" => x.Exp(),
        "abs" => x.Abs(),
        _ => x.Sign(),
    };

    [Fact]
    public void LogSqrtPow_MatchMath()
    {
        var x = Tensor.FromArray(new double[] { 0.25, 1, 4, 9 });
        Check.Values(x.Log(), [4], Math.Log(0.25), 0, Math.Log(4), Math.Log(9));
        Check.Values(x.Sqrt(), [4], 0.5, 1, 2, 3);
        Check.Values(x.Pow(2), [4], 0.0625, 1, 16, 81);
        Check.Values(x.Pow(1.5), [4], 0.125, 1, 8, 27);
        Check.Values(x.Pow(0), [4], 1, 1, 1, 1);
        Check.Values(Tensor.FromArray(new double[] { -2, -3 }).Pow(3), [2], -8, -27);
        Check.Values(x.Pow(Tensor.FromArray(new double[] { 0.5, 3, 0.5, 0.5 })), [4], 0.5, 1, 2, 3);
        Check.Values(Tensor.FromArray(new double[] { -2 }, 1).Pow(Tensor.FromArray(new double[] { 2 }, 1)), [1], 4);
    }

    [Fact]
    public void Arithmetic_HandComputed()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 2, 2);
        var b = Tensor.FromArray(new double[] { 5, -6, 0.5, 8 }, 2, 2);
        Check.Values(a + b, [2, 2], 6, -4, 3.5, 12);
        Check.Values(a - b, [2, 2], -4, 8, 2.5, -4);
        Check.Values(a * b, [2, 2], 5, -12, 1.5, 32);
        Check.Values(a / b, [2, 2], 0.2, -1.0 / 3, 6, 0.5);
        Check.Values(-a, [2, 2], -1, -2, -3, -4);
        Check.Values(a + 1, [2, 2], 2, 3, 4, 5);
        Check.Values(1 - a, [2, 2], 0, -1, -2, -3);
        Check.Values(a * 3, [2, 2], 3, 6, 9, 12);
        Check.Values(2 * a, [2, 2], 2, 4, 6, 8);
        Check.Values(a / 4, [2, 2], 0.25, 0.5, 0.75, 1);
        Check.Values(12 / a, [2, 2], 12, 6, 4, 3);
        Check.Values(a.Add(b, alpha: 2), [2, 2], 11, -10, 4, 20);
    }

    [Fact]
    public void TypePromotion_FollowsTorch()
    {
        var i = Tensor.Arange(4);
        var f = Tensor.Ones([4]);
        var d = Tensor.Ones([4], DType.Float64);
        Assert.Equal(DType.Float32, (i + f).DType);
        Assert.Equal(DType.Float64, (f + d).DType);
        Assert.Equal(DType.Int64, (i + i).DType);
        Assert.Equal(DType.Int64, (i * 2).DType);
        Assert.Equal(DType.Float32, (i * 0.5).DType);        // a fractional scalar makes an int tensor float
        Check.Values(i / Tensor.Full([4], 2, DType.Int64), [4], 0, 0.5, 1, 1.5);   // true division
        Assert.Equal(DType.Float32, f.Mul(2.0).DType);       // a scalar keeps the tensor's float dtype
    }

    [Fact]
    public void ClampMaximumMinimum()
    {
        var x = X();
        Check.Values(x.Clamp(-1, 1), [2, 3], -1, -1, -0.25, 0.5, 1, 1);
        Check.Values(x.Clamp(min: 0), [2, 3], 0, 0, 0, 0.5, 1.5, 3);
        Check.Values(x.Clamp(max: 0), [2, 3], -2.5, -1, -0.25, 0, 0, 0);
        var y = Tensor.FromArray(new double[] { 0, 0, 0, 1, 1, 1 }, 2, 3);
        Check.Values(x.Maximum(y), [2, 3], 0, 0, 0, 1, 1.5, 3);
        Check.Values(x.Minimum(y), [2, 3], -2.5, -1, -0.25, 0.5, 1, 1);
        Assert.Throws<ArgumentException>(() => x.Clamp());
        var nan = Tensor.FromArray(new[] { double.NaN, 1 });
        Assert.True(double.IsNaN(nan.Maximum(Tensor.Zeros([2], DType.Float64)).GetValue(0)));
        Assert.True(double.IsNaN(nan.Clamp(0, 0.5).GetValue(0)));
        Assert.True(double.IsNaN(nan.Relu().GetValue(0)));
    }

    [Fact]
    public void Comparisons_ReturnOnesAndZeros()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3 });
        var b = Tensor.FromArray(new double[] { 3, 2, 1 });
        Check.Values(a.Eq(b), [3], 0, 1, 0);
        Check.Values(a.Ne(b), [3], 1, 0, 1);
        Check.Values(a.Lt(b), [3], 1, 0, 0);
        Check.Values(a.Le(b), [3], 1, 1, 0);
        Check.Values(a.Gt(b), [3], 0, 0, 1);
        Check.Values(a.Ge(b), [3], 0, 1, 1);
        Check.Values(a.Gt(1.5), [3], 0, 1, 1);
        Check.Values(a.Lt(1.5), [3], 1, 0, 0);
        Check.Values(a.Eq(3), [3], 0, 0, 1);
    }

    [Fact]
    public void AllCloseAndEqual()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3 });
        Assert.True(a.AllClose(a.Add(1e-9)));
        Assert.False(a.AllClose(a.Add(1e-3)));
        Assert.True(a.AllClose(a.Add(1e-3), rtol: 0, atol: 2e-3));
        Assert.True(a.AllClose(Tensor.Full([2, 3], 1).Mul(a.Float()).Double()));  // broadcasts
        var nan = Tensor.FromArray(new[] { double.NaN });
        Assert.False(nan.AllClose(nan));
        Assert.True(nan.AllClose(nan, equalNan: true));
        Assert.True(a.Equal(a.Clone()));
        Assert.False(a.Equal(a.Add(1e-12)));
        Assert.False(a.Equal(a.View(3, 1)));
        Assert.True(Check.Seq(2, 3).T().Equal(Check.Seq(2, 3).T().Contiguous()));
        Assert.True(Tensor.Arange(3).Equal(Tensor.Arange(0, 3, 1, DType.Float32)));
    }

    [Fact]
    public void InPlaceOps_UpdateTheTensorAndItsViews()
    {
        var x = Check.Seq(2, 3);
        var col = x.Select(1, 1);                      // non-contiguous view: elements 1 and 4
        col.Mul_(10).Add_(1);
        Check.Values(x, [2, 3], 0, 11, 2, 3, 41, 5);
        x.Add_(Tensor.FromArray(new double[] { 1, 2, 3 }), alpha: 2);    // broadcast row
        Check.Values(x, [2, 3], 2, 15, 8, 5, 45, 11);
        x.Sub_(Tensor.Ones([2, 3], DType.Float64)).Div_(2);
        Check.Values(x, [2, 3], 0.5, 7, 3.5, 2, 22, 5);
        x.Clamp_(1, 10);
        Check.Values(x, [2, 3], 1, 7, 3.5, 2, 10, 5);
        x.Fill_(3);
        Check.Values(x, [2, 3], 3, 3, 3, 3, 3, 3);
        x.Zero_();
        Check.Values(x, [2, 3], 0, 0, 0, 0, 0, 0);
        x.T().Copy_(Check.Seq(3, 2));
        Check.Values(x, [2, 3], 0, 2, 4, 1, 3, 5);
        x.Add_(x);
        Check.Values(x, [2, 3], 0, 4, 8, 2, 6, 10);
        var sq = Check.Seq(2, 2);
        sq.Add_(sq.T());                               // aliased operand: computed before writing
        Check.Values(sq, [2, 2], 0, 3, 3, 6);
    }

    [Fact]
    public void InPlaceOps_RejectOperandsThatGrowTheTensor()
    {
        var x = Tensor.Zeros(3);
        var e = Assert.Throws<ArgumentException>(() => x.Add_(Tensor.Ones(2, 3)));
        Assert.Contains("add_", e.Message);
        Assert.Contains("(3,)", e.Message);
        Assert.Contains("(2, 3)", e.Message);
    }

    [Fact]
    public void InPlaceOnTensorThatRequiresGrad_ThrowsUnlessNoGrad()
    {
        var w = Tensor.Ones([2], requiresGrad: true);
        var e = Assert.Throws<InvalidOperationException>(() => w.Add_(1.0));
        Assert.Contains("Add_", e.Message);
        Assert.Contains("NoGrad", e.Message);
        using (new NoGrad())
        {
            w.Add_(1.0);
        }
        Check.Values(w, [2], 2, 2);
    }

    [Fact]
    public void RandomInPlaceFills_AreSeeded()
    {
        var a = Tensor.Zeros(100).Uniform_(-2, 3, new Generator(9));
        var b = Tensor.Zeros(100).Uniform_(-2, 3, new Generator(9));
        Assert.True(a.Equal(b));
        Assert.True(a.Min().Item() >= -2 && a.Max().Item() < 3);
        var n = Tensor.Zeros([100], DType.Float64).Normal_(5, 0.001, new Generator(1));
        Assert.True(Math.Abs(n.Mean().Item() - 5) < 0.01);
    }

    public static TheoryData<string> DifferentiableNames =>
        ["add", "sub", "mul", "div", "neg", "sigmoid", "tanh", "relu", "exp", "log", "sqrt", "abs", "pow2", "pow1.5", "pow-1", "powT",
         "clamp", "clampMin", "maximum", "minimum", "scalarOps", "operators"];

    [Theory]
    [MemberData(nameof(DifferentiableNames))]
    public void Backward_GradCheck(string op)
    {
        var g = new Generator(op.Sum(c => (long)c));        // a fixed seed per case (string.GetHashCode is randomised per process)
        var a = Check.R(g, 3, 4);
        var b = Check.R(g, 3, 4);
        var pos = Check.U(g, 0.5, 2, 3, 4);
        var pos2 = Check.U(g, 0.5, 2, 3, 4);
        switch (op)
        {
            case "add": Check.Grad(x => x[0].Add(x[1]), a, b); break;
            case "sub": Check.Grad(x => x[0].Sub(x[1]), a, b); break;
            case "mul": Check.Grad(x => x[0].Mul(x[1]), a, b); break;
            case "div": Check.Grad(x => x[0].Div(x[1]), a, pos); break;
            case "neg": Check.Grad(x => x[0].Neg(), a); break;
            case "sigmoid": Check.Grad(x => x[0].Sigmoid(), a); break;
            case "tanh": Check.Grad(x => x[0].Tanh(), a); break;
            case "relu": Check.Grad(x => x[0].Relu(), a); break;
            case "exp": Check.Grad(x => x[0].Exp(), a); break;
            case "log": Check.Grad(x => x[0].Log(), pos); break;
            case "sqrt": Check.Grad(x => x[0].Sqrt(), pos); break;
            case "abs": Check.Grad(x => x[0].Abs(), a); break;
            case "pow2": Check.Grad(x => x[0].Pow(2), a); break;
            case "pow1.5": Check.Grad(x => x[0].Pow(1.5), pos); break;
            case "pow-1": Check.Grad(x => x[0].Pow(-1), pos); break;
            case "powT": Check.Grad(x => x[0].Pow(x[1]), pos, b); break;
            case "clamp": Check.Grad(x => x[0].Clamp(-0.5, 0.5), a); break;
            case "clampMin": Check.Grad(x => x[0].Clamp(min: 0.1), a); break;
            case "maximum": Check.Grad(x => x[0].Maximum(x[1]), a, b); break;
            case "minimum": Check.Grad(x => x[0].Minimum(x[1]), a, b); break;
            case "scalarOps": Check.Grad(x => ((x[0] + 2) * 3 - 1) / 4 + (2 / x[1]) - (1 - x[0]), a, pos2); break;
            default: Check.Grad(x => x[0] * x[1] - x[0] / x[2] + (-x[1]), a, b, pos); break;
        }
    }

    [Fact]
    public void Maximum_TiesSplitTheGradient()
    {
        var a = Tensor.FromArray(new double[] { 1, 2 }).RequiresGrad_();
        var b = Tensor.FromArray(new double[] { 1, 3 }).RequiresGrad_();
        a.Maximum(b).Sum().Backward();
        Check.Values(a.Grad!, [2], 0.5, 0);
        Check.Values(b.Grad!, [2], 0.5, 1);
    }

    [Fact]
    public void Minimum_TiesSplitTheGradient()
    {
        var a = Tensor.FromArray(new double[] { 1, 2 }).RequiresGrad_();
        var b = Tensor.FromArray(new double[] { 1, 3 }).RequiresGrad_();
        a.Minimum(b).Sum().Backward();
        Check.Values(a.Grad!, [2], 0.5, 1);
        Check.Values(b.Grad!, [2], 0.5, 0);
    }

    [Fact]
    public void ItemOfLargeInt64_IsExact()
    {
        const long big = (1L << 60) + 1;
        Assert.Equal(big, Tensor.FromArray(new[] { big }).Item<long>());
    }
}
