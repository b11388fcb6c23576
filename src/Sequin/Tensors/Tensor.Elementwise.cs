using System.Numerics;

namespace Sequin.Tensors;

public sealed partial class Tensor
{
    private static Tensor BinaryRaw<TOp>(Tensor a, Tensor b, string op)
        where TOp : IBinaryOp
    {
        var dtype = DTypeExtensions.Promote(a.DType, b.DType);
        var shape = ShapeUtil.Broadcast(op, a.shape, b.shape);
        var r = new Tensor(dtype, shape);
        a = a.DType == dtype ? a : a.ConvertRaw(dtype);
        b = b.DType == dtype ? b : b.ConvertRaw(dtype);
        switch (dtype)
        {
            case DType.Float32: TOp.Apply(a.DenseBroadcast<float>(shape, op), b.DenseBroadcast<float>(shape, op), r.AsSpan<float>()); break;
            case DType.Float64: TOp.Apply(a.DenseBroadcast<double>(shape, op), b.DenseBroadcast<double>(shape, op), r.AsSpan<double>()); break;
            default: TOp.Apply(a.DenseBroadcast<long>(shape, op), b.DenseBroadcast<long>(shape, op), r.AsSpan<long>()); break;
        }
        return r;
    }

    private Tensor UnaryFloatRaw<TOp>()
        where TOp : IUnaryFloatOp
    {
        var x = DType == DType.Int64 ? ConvertRaw(DType.Float32) : this;
        var r = new Tensor(x.DType, (int[])shape.Clone());
        if (x.DType == DType.Float32)
        {
            TOp.Apply(x.DenseBroadcast<float>(shape, "unary"), r.AsSpan<float>());
        }
        else
        {
            TOp.Apply(x.DenseBroadcast<double>(shape, "unary"), r.AsSpan<double>());
        }
        return r;
    }

    private Tensor UnaryNumberRaw<TOp>()
        where TOp : IUnaryNumberOp
    {
        var r = new Tensor(DType, (int[])shape.Clone());
        switch (DType)
        {
            case DType.Float32: TOp.Apply(DenseBroadcast<float>(shape, "unary"), r.AsSpan<float>()); break;
            case DType.Float64: TOp.Apply(DenseBroadcast<double>(shape, "unary"), r.AsSpan<double>()); break;
            default: TOp.Apply(DenseBroadcast<long>(shape, "unary"), r.AsSpan<long>()); break;
        }
        return r;
    }

    /// <summary>A 0-dimensional tensor of <paramref name="value"/> with a dtype that keeps this tensor's dtype in arithmetic.</summary>
    private Tensor ScalarLike(double value)
        => Scalar(value, DType == DType.Int64 && value != Math.Floor(value) ? DType.Float32 : DType);

    /// <summary>Elementwise <c>this + other</c> with broadcasting (<c>torch.add</c>).</summary>
    public Tensor Add(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var r = BinaryRaw<AddOp>(this, other, "add");
        return Record(r, "AddBackward0", [this, other], g => [g.SumTo(shape), g.SumTo(other.shape)]);
    }

    /// <summary>Elementwise <c>this + alpha · other</c> (<c>torch.add(input, other, alpha=alpha)</c>).</summary>
    public Tensor Add(Tensor other, double alpha) => alpha == 1 ? Add(other) : Add(other.Mul(alpha));

    /// <summary>Elementwise <c>this − other</c> with broadcasting (<c>torch.sub</c>).</summary>
    public Tensor Sub(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var r = BinaryRaw<SubOp>(this, other, "sub");
        return Record(r, "SubBackward0", [this, other], g => [g.SumTo(shape), g.Neg().SumTo(other.shape)]);
    }

    /// <summary>Elementwise <c>this · other</c> with broadcasting (<c>torch.mul</c>).</summary>
    public Tensor Mul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var r = BinaryRaw<MulOp>(this, other, "mul");
        return Record(r, "MulBackward0", [this, other], g => [g.Mul(other).SumTo(shape), g.Mul(this).SumTo(other.shape)]);
    }

    /// <summary>Elementwise <c>this / other</c> with broadcasting (<c>torch.div</c>, true division).</summary>
    public Tensor Div(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var a = DType == DType.Int64 && other.DType == DType.Int64 ? Float() : this;
        var r = BinaryRaw<DivOp>(a, other, "div");
        return Record(r, "DivBackward0", [a, other], g => [g.Div(other).SumTo(a.shape), g.Mul(a).Div(other.Mul(other)).Neg().SumTo(other.shape)]);
    }

    /// <summary>Adds a scalar.</summary>
    public Tensor Add(double value) => Add(ScalarLike(value));

    /// <summary>Subtracts a scalar.</summary>
    public Tensor Sub(double value) => Sub(ScalarLike(value));

    /// <summary>Multiplies by a scalar.</summary>
    public Tensor Mul(double value) => Mul(ScalarLike(value));

    /// <summary>Divides by a scalar.</summary>
    public Tensor Div(double value) => Div(ScalarLike(value));

    /// <summary>Elementwise maximum of two tensors (<c>torch.maximum</c>); ties send the gradient half to each.</summary>
    public Tensor Maximum(Tensor other)
    {
        var r = BinaryRaw<MaximumOp>(this, other, "maximum");
        return Record(r, "MaximumBackward0", [this, other], g =>
        {
            var ma = Gt(other).Add(Eq(other).Mul(0.5)).To(g.DType);
            var mb = ma.Neg().Add(1.0);
            return [g.Mul(ma).SumTo(shape), g.Mul(mb).SumTo(other.shape)];
        });
    }

    /// <summary>Elementwise minimum of two tensors (<c>torch.minimum</c>); ties send the gradient half to each.</summary>
    public Tensor Minimum(Tensor other) => Neg().Maximum(other.Neg()).Neg();

    /// <summary>Elementwise <c>−this</c> (<c>torch.neg</c>).</summary>
    public Tensor Neg() => Record(UnaryNumberRaw<NegOp>(), "NegBackward0", [this], g => [g.Neg()]);

    /// <summary>Elementwise logistic sigmoid <c>1 / (1 + e^{−x})</c> (<c>torch.sigmoid</c>).</summary>
    public Tensor Sigmoid()
    {
        var y = UnaryFloatRaw<SigmoidOp>();
        return Record(y, "SigmoidBackward0", [this], g => [g.Mul(y.Mul(y.Neg().Add(1.0)))]);
    }

    /// <summary>Elementwise hyperbolic tangent (<c>torch.tanh</c>).</summary>
    public Tensor Tanh()
    {
        var y = UnaryFloatRaw<TanhOp>();
        return Record(y, "TanhBackward0", [this], g => [g.Mul(y.Mul(y).Neg().Add(1.0))]);
    }

    /// <summary>Elementwise <c>max(x, 0)</c> (<c>torch.relu</c>).</summary>
    public Tensor Relu()
    {
        var y = UnaryNumberRaw<ReluOp>();
        return Record(y, "ReluBackward0", [this], g => [g.Mul(Gt(ScalarLike(0)).To(g.DType))]);
    }

    /// <summary>Elementwise <c>e^x</c> (<c>torch.exp</c>).</summary>
    public Tensor Exp()
    {
        var y = UnaryFloatRaw<ExpOp>();
        return Record(y, "ExpBackward0", [this], g => [g.Mul(y)]);
    }

    /// <summary>Elementwise natural logarithm (<c>torch.log</c>).</summary>
    public Tensor Log() => Record(UnaryFloatRaw<LogOp>(), "LogBackward0", [this], g => [g.Div(this)]);

    /// <summary>Elementwise square root (<c>torch.sqrt</c>).</summary>
    public Tensor Sqrt()
    {
        var y = UnaryFloatRaw<SqrtOp>();
        return Record(y, "SqrtBackward0", [this], g => [g.Div(y.Mul(2.0))]);
    }

    /// <summary>Elementwise absolute value (<c>torch.abs</c>); the gradient at 0 is 0, as in PyTorch.</summary>
    public Tensor Abs() => Record(UnaryNumberRaw<AbsOp>(), "AbsBackward0", [this], g => [g.Mul(Sign())]);

    /// <summary>Elementwise sign: −1, 0 or 1 (<c>torch.sign</c>); not differentiable (zero gradient).</summary>
    public Tensor Sign() => UnaryNumberRaw<SignOp>();

    /// <summary>Elementwise <c>x^exponent</c> (<c>torch.pow</c> with a scalar exponent).</summary>
    public Tensor Pow(double exponent)
    {
        Tensor y;
        if (exponent == 2)
        {
            y = BinaryRaw<MulOp>(this, this, "pow");
        }
        else
        {
            var x = DType == DType.Int64 ? Float() : this;
            y = x.Log().Mul(exponent).Exp().Detach();
            FixNonPositiveBases(x, exponent, y);
        }
        return Record(y, "PowBackward0", [this], g => [exponent == 0 ? g.Mul(0.0) : g.Mul(Pow(exponent - 1).Mul(exponent))]);
    }

    /// <summary>Elementwise <c>this^exponent</c> with a tensor exponent (<c>torch.pow</c>).</summary>
    public Tensor Pow(Tensor exponent)
    {
        ArgumentNullException.ThrowIfNull(exponent);
        Tensor y;
        using (new Autograd.NoGrad())
        {
            y = Log().Mul(exponent).Exp();
        }
        return Record(y, "PowBackward1", [this, exponent], g =>
            [g.Mul(exponent).Mul(Pow(exponent.Sub(1.0))).SumTo(shape), g.Mul(y).Mul(Log()).SumTo(exponent.shape)]);
    }

    /// <summary>exp(p·log x) is NaN for x ≤ 0; recompute those elements directly with Math.Pow.</summary>
    private static void FixNonPositiveBases(Tensor x, double exponent, Tensor y)
    {
        var xs = x.ToDoubleArray();
        for (var i = 0; i < xs.Length; i++)
        {
            if (xs[i] <= 0)
            {
                y.SetFlat(i, Math.Pow(xs[i], exponent));
            }
        }
    }

    /// <summary>Clamps every element into [<paramref name="min"/>, <paramref name="max"/>] (<c>torch.clamp</c>); the gradient is 1 inside the range and 0 outside.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null)
        {
            throw new ArgumentException("Clamp: at least one of min or max must be given.");
        }
        Tensor y;
        using (new Autograd.NoGrad())
        {
            y = this;
            if (min is { } lo)
            {
                y = BinaryRaw<MaximumOp>(y, ScalarLike(lo), "clamp");
            }
            if (max is { } hi)
            {
                y = BinaryRaw<MinimumOp>(y, ScalarLike(hi), "clamp");
            }
        }
        return Record(y, "ClampBackward1", [this], g =>
        {
            var mask = OnesLike(this, g.DType);
            if (min is { } lo)
            {
                mask = mask.Mul(Ge(ScalarLike(lo)).To(g.DType));
            }
            if (max is { } hi)
            {
                mask = mask.Mul(Le(ScalarLike(hi)).To(g.DType));
            }
            return [g.Mul(mask)];
        });
    }

    /// <summary>Elementwise <c>this == other</c>: 1 where equal, 0 elsewhere, in the promoted dtype (Sequin has no bool dtype).</summary>
    public Tensor Eq(Tensor other) => BinaryRaw<EqOp>(this, other, "eq");

    /// <summary>Elementwise <c>this != other</c> as 1/0.</summary>
    public Tensor Ne(Tensor other) => BinaryRaw<NeOp>(this, other, "ne");

    /// <summary>Elementwise <c>this &lt; other</c> as 1/0.</summary>
    public Tensor Lt(Tensor other) => BinaryRaw<LtOp>(this, other, "lt");

    /// <summary>Elementwise <c>this &lt;= other</c> as 1/0.</summary>
    public Tensor Le(Tensor other) => BinaryRaw<LeOp>(this, other, "le");

    /// <summary>Elementwise <c>this &gt; other</c> as 1/0.</summary>
    public Tensor Gt(Tensor other) => BinaryRaw<GtOp>(this, other, "gt");

    /// <summary>Elementwise <c>this &gt;= other</c> as 1/0.</summary>
    public Tensor Ge(Tensor other) => BinaryRaw<GeOp>(this, other, "ge");

    /// <summary>Elementwise comparison with a scalar, as 1/0.</summary>
    public Tensor Eq(double value) => Eq(ScalarLike(value));

    /// <summary>Elementwise comparison with a scalar, as 1/0.</summary>
    public Tensor Gt(double value) => Gt(ScalarLike(value));

    /// <summary>Elementwise comparison with a scalar, as 1/0.</summary>
    public Tensor Lt(double value) => Lt(ScalarLike(value));

    /// <summary>
    /// Whether every element satisfies <c>|this − other| ≤ atol + rtol·|other|</c> after broadcasting
    /// (<c>torch.allclose</c>). NaNs compare unequal unless <paramref name="equalNan"/>.
    /// </summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false)
    {
        ArgumentNullException.ThrowIfNull(other);
        var target = ShapeUtil.Broadcast("allclose", shape, other.shape);
        var a = Expand(target).ToDoubleArray();
        var b = other.Expand(target).ToDoubleArray();
        for (var i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(a[i]) || double.IsNaN(b[i]))
            {
                if (!(equalNan && double.IsNaN(a[i]) && double.IsNaN(b[i])))
                {
                    return false;
                }
                continue;
            }
            if (a[i] == b[i])
            {
                continue;
            }
            if (!(Math.Abs(a[i] - b[i]) <= atol + rtol * Math.Abs(b[i])))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether both tensors have the same shape and exactly equal elements (<c>torch.equal</c>).</summary>
    public bool Equal(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Shape == other.Shape && ToDoubleArray().AsSpan().SequenceEqual(other.ToDoubleArray());
    }

    /// <summary>Elementwise addition.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);

    /// <summary>Elementwise subtraction.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);

    /// <summary>Elementwise multiplication.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);

    /// <summary>Elementwise division.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, double b) => a.Add(b);

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(double a, Tensor b) => b.Add(a);

    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, double b) => a.Sub(b);

    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(double a, Tensor b) => b.Neg().Add(a);

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => a.Mul(b);

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(double a, Tensor b) => b.Mul(a);

    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => a.Div(b);

    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(double a, Tensor b) => b.ScalarLike(a).Div(b);

    // ---- in-place updates (no history; used by optimizers under NoGrad) ----

    /// <summary>In place: <c>this += alpha · other</c> (<c>add_</c>). Not recorded by autograd.</summary>
    public Tensor Add_(Tensor other, double alpha = 1)
    {
        CheckInPlace("Add_");
        using var _ = new Autograd.NoGrad();
        (alpha == 1 ? Add(other) : Add(other.Mul(alpha))).CopyInto(this);
        return this;
    }

    /// <summary>In place: <c>this += value</c>.</summary>
    public Tensor Add_(double value) => Add_(ScalarLike(value));

    /// <summary>In place: <c>this −= other</c> (<c>sub_</c>).</summary>
    public Tensor Sub_(Tensor other) => Add_(other, -1);

    /// <summary>In place: <c>this *= other</c> (<c>mul_</c>).</summary>
    public Tensor Mul_(Tensor other)
    {
        CheckInPlace("Mul_");
        using var _ = new Autograd.NoGrad();
        Mul(other).CopyInto(this);
        return this;
    }

    /// <summary>In place: <c>this *= value</c>.</summary>
    public Tensor Mul_(double value) => Mul_(ScalarLike(value));

    /// <summary>In place: <c>this /= other</c> (<c>div_</c>).</summary>
    public Tensor Div_(Tensor other)
    {
        CheckInPlace("Div_");
        using var _ = new Autograd.NoGrad();
        Div(other).CopyInto(this);
        return this;
    }

    /// <summary>In place: <c>this /= value</c>.</summary>
    public Tensor Div_(double value) => Div_(ScalarLike(value));

    /// <summary>In place: clamps into [min, max] (<c>clamp_</c>).</summary>
    public Tensor Clamp_(double? min = null, double? max = null)
    {
        CheckInPlace("Clamp_");
        using var _ = new Autograd.NoGrad();
        Clamp(min, max).CopyInto(this);
        return this;
    }

    /// <summary>In place: copies <paramref name="src"/> (broadcast, converted) into this tensor or view (<c>copy_</c>).</summary>
    public Tensor Copy_(Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        CheckInPlace("Copy_");
        ShapeUtil.BroadcastStrides(src.shape, src.strides, shape, "copy_");
        src.CopyInto(this);
        return this;
    }

    /// <summary>In place: sets every element to <paramref name="value"/> (<c>fill_</c>).</summary>
    public Tensor Fill_(double value)
    {
        CheckInPlace("Fill_");
        FillRaw(value);
        return this;
    }

    /// <summary>In place: sets every element to zero (<c>zero_</c>).</summary>
    public Tensor Zero_() => Fill_(0);

    /// <summary>In place: fills with uniform samples in [low, high) (<c>uniform_</c>).</summary>
    public Tensor Uniform_(double low, double high, Generator? generator = null)
    {
        CheckInPlace("Uniform_");
        Rand(shape, DType, generator, low, high).CopyInto(this);
        return this;
    }

    /// <summary>In place: fills with normal samples (<c>normal_</c>).</summary>
    public Tensor Normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        CheckInPlace("Normal_");
        using var _ = new Autograd.NoGrad();
        Randn(shape, DType, generator).Mul(std).Add(mean).CopyInto(this);
        return this;
    }

    internal static T Cast<T>(double v)
        where T : INumberBase<T> => T.CreateTruncating(v);
}
