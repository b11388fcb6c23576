using System.Numerics;
using System.Numerics.Tensors;

namespace Sequin.Tensors;

public sealed partial class Tensor
{
    private static Tensor BinaryRaw<TOp>(Tensor a, Tensor b, string op)
        where TOp : IBinaryOp
    {
        var dtype = DTypeExtensions.Promote(a.DType, b.DType);
        var shape = ShapeUtil.Broadcast(op, a.shape, b.shape);
        var r = new Tensor(dtype, shape);
        BinaryInto<TOp>(a, b, r, op);
        return r;
    }

    /// <summary>
    /// Writes <c>TOp(a, b)</c> (broadcast to <paramref name="r"/>'s shape, converted to its dtype) into the
    /// contiguous tensor <paramref name="r"/>, which may be <paramref name="a"/> itself (in-place updates).
    /// </summary>
    private static void BinaryInto<TOp>(Tensor a, Tensor b, Tensor r, string op)
        where TOp : IBinaryOp
    {
        var dtype = r.DType;
        a = a.DType == dtype ? a : a.ConvertRaw(dtype);
        b = b.DType == dtype ? b : b.ConvertRaw(dtype);
        switch (dtype)
        {
            case DType.Float32: BinaryTyped<TOp, float>(a, b, r, op); break;
            case DType.Float64: BinaryTyped<TOp, double>(a, b, r, op); break;
            default: BinaryTyped<TOp, long>(a, b, r, op); break;
        }
    }

    private static void BinaryTyped<TOp, T>(Tensor a, Tensor b, Tensor r, string op)
        where TOp : IBinaryOp
        where T : unmanaged, INumber<T>
    {
        var target = r.shape;
        var dst = r.AsSpan<T>();
        var aFull = a.IsContiguous && a.shape.AsSpan().SequenceEqual(target);
        var bFull = b.IsContiguous && b.shape.AsSpan().SequenceEqual(target);
        // Fast paths, no temporary: a scalar operand (x * 0.5, loss / n), and a contiguous operand repeated
        // over leading rows (bias add: (B, H) + (H,)).
        if (aFull && b.Numel == 1 && target.Length >= b.Dim)
        {
            TOp.Apply(a.DenseSpan<T>(), b.Data<T>()[b.Offset], dst);
            return;
        }
        if (bFull && a.Numel == 1 && target.Length >= a.Dim)
        {
            TOp.Apply(a.Data<T>()[a.Offset], b.DenseSpan<T>(), dst);
            return;
        }
        if (aFull && b.IsContiguous && IsTrailingBlock(b.shape, target, out var bRow) && bRow > 0)
        {
            var av = a.DenseSpan<T>();
            var bv = b.DenseSpan<T>();
            for (var o = 0; o < dst.Length; o += bRow)
            {
                TOp.Apply(av.Slice(o, bRow), bv, dst.Slice(o, bRow));
            }
            return;
        }
        if (bFull && a.IsContiguous && IsTrailingBlock(a.shape, target, out var aRow) && aRow > 0)
        {
            var av = a.DenseSpan<T>();
            var bv = b.DenseSpan<T>();
            for (var o = 0; o < dst.Length; o += aRow)
            {
                TOp.Apply(av, bv.Slice(o, aRow), dst.Slice(o, aRow));
            }
            return;
        }
        if (aFull && b.IsContiguous && IsLeadingBlock(b.shape, target, out var bInner) && bInner > 0)
        {
            // Column broadcast ((N, C) − (N, 1), as in log-softmax): one scalar per run of bInner elements.
            var av = a.DenseSpan<T>();
            var bv = b.DenseSpan<T>();
            for (var o = 0; o < bv.Length; o++)
            {
                TOp.Apply(av.Slice(o * bInner, bInner), bv[o], dst.Slice(o * bInner, bInner));
            }
            return;
        }
        if (bFull && a.IsContiguous && IsLeadingBlock(a.shape, target, out var aInner) && aInner > 0)
        {
            var av = a.DenseSpan<T>();
            var bv = b.DenseSpan<T>();
            for (var o = 0; o < av.Length; o++)
            {
                TOp.Apply(av[o], bv.Slice(o * aInner, aInner), dst.Slice(o * aInner, aInner));
            }
            return;
        }
        TOp.Apply(a.DenseBroadcast<T>(target, op), b.DenseBroadcast<T>(target, op), dst);
    }

    /// <summary>
    /// Whether <paramref name="small"/> (of the target's rank) equals the target on its leading dimensions and is 1
    /// on the rest, so that each of its elements covers a run of <paramref name="inner"/> consecutive result elements.
    /// </summary>
    private static bool IsLeadingBlock(int[] small, int[] target, out int inner)
    {
        inner = 0;
        if (small.Length != target.Length)
        {
            return false;
        }
        var k = small.Length;
        while (k > 0 && small[k - 1] == 1)
        {
            k--;
        }
        for (var i = 0; i < k; i++)
        {
            if (small[i] != target[i])
            {
                return false;
            }
        }
        inner = ShapeUtil.Numel(target.AsSpan(k));
        return true;
    }

    /// <summary>
    /// Whether <paramref name="small"/> broadcast to <paramref name="target"/> is the same block of
    /// <paramref name="rowLength"/> elements repeated: its non-unit part must equal the trailing sizes of the target.
    /// </summary>
    private static bool IsTrailingBlock(int[] small, int[] target, out int rowLength)
    {
        rowLength = 0;
        var first = 0;
        while (first < small.Length && small[first] == 1)
        {
            first++;
        }
        var lead = target.Length - small.Length;
        if (lead < 0)
        {
            return false;
        }
        for (var i = first; i < small.Length; i++)
        {
            if (small[i] != target[lead + i])
            {
                return false;
            }
        }
        rowLength = ShapeUtil.Numel(small.AsSpan(first));
        return true;
    }

    /// <summary>The elements of a contiguous tensor as a span over its storage.</summary>
    private ReadOnlySpan<T> DenseSpan<T>() => new(Data<T>(), Offset, Numel);

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
    public Tensor Minimum(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var r = BinaryRaw<MinimumOp>(this, other, "minimum");
        return Record(r, "MinimumBackward0", [this, other], g =>
        {
            var ma = Lt(other).Add(Eq(other).Mul(0.5)).To(g.DType);
            var mb = ma.Neg().Add(1.0);
            return [g.Mul(ma).SumTo(shape), g.Mul(mb).SumTo(other.shape)];
        });
    }

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

    /// <summary>Elementwise <c>x^exponent</c> (<c>torch.pow</c> with a scalar exponent); negative bases work with integral exponents.</summary>
    /// <param name="exponent">The scalar exponent.</param>
    public Tensor Pow(double exponent)
    {
        Tensor y;
        if (exponent == 2)
        {
            y = BinaryRaw<MulOp>(this, this, "pow");
        }
        else
        {
            var x = DType == DType.Int64 && exponent != Math.Floor(exponent) ? ConvertRaw(DType.Float32) : this;
            y = BinaryRaw<LoopOp<PowFn>>(x, x.ScalarLike(exponent), "pow");
        }
        return Record(y, "PowBackward0", [this], g => [exponent == 0 ? g.Mul(0.0) : g.Mul(Pow(exponent - 1).Mul(exponent))]);
    }

    /// <summary>Elementwise <c>this^exponent</c> with a broadcast tensor exponent (<c>torch.pow</c>).</summary>
    /// <param name="exponent">The exponents, broadcastable with this tensor.</param>
    public Tensor Pow(Tensor exponent)
    {
        ArgumentNullException.ThrowIfNull(exponent);
        var y = BinaryRaw<LoopOp<PowFn>>(this, exponent, "pow");
        return Record(y, "PowBackward1", [this, exponent], g =>
        {
            // d/dx = e·x^(e−1); d/de = x^e·log x, taken as 0 where x = 0 (PyTorch masks those elements the same way).
            var safeLog = Add(Eq(0.0)).Log();
            return [g.Mul(exponent).Mul(Pow(exponent.Sub(1.0))).SumTo(shape), g.Mul(y).Mul(safeLog).SumTo(exponent.shape)];
        });
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
                if (y.Is(this))
                {
                    y = BinaryRaw<MinimumOp>(y, ScalarLike(hi), "clamp");
                }
                else
                {
                    BinaryInto<MinimumOp>(y, y.ScalarLike(hi), y, "clamp");    // y is our fresh result: reuse it
                }
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
    public Tensor Eq(Tensor other) => BinaryRaw<LoopOp<EqFn>>(this, other, "eq");

    /// <summary>Elementwise <c>this != other</c> as 1/0.</summary>
    public Tensor Ne(Tensor other) => BinaryRaw<LoopOp<NeFn>>(this, other, "ne");

    /// <summary>Elementwise <c>this &lt; other</c> as 1/0.</summary>
    public Tensor Lt(Tensor other) => BinaryRaw<LoopOp<LtFn>>(this, other, "lt");

    /// <summary>Elementwise <c>this &lt;= other</c> as 1/0.</summary>
    public Tensor Le(Tensor other) => BinaryRaw<LoopOp<LeFn>>(this, other, "le");

    /// <summary>Elementwise <c>this &gt; other</c> as 1/0.</summary>
    public Tensor Gt(Tensor other) => BinaryRaw<LoopOp<GtFn>>(this, other, "gt");

    /// <summary>Elementwise <c>this &gt;= other</c> as 1/0.</summary>
    public Tensor Ge(Tensor other) => BinaryRaw<LoopOp<GeFn>>(this, other, "ge");

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
    /// <param name="other">The tensor to compare with; a different dtype compares by value.</param>
    public bool Equal(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Shape != other.Shape)
        {
            return false;
        }
        if (DType != other.DType)
        {
            return ToDoubleArray().AsSpan().SequenceEqual(other.ToDoubleArray());
        }
        var a = Contiguous();
        var b = other.Contiguous();
        return DType switch
        {
            DType.Float32 => EqualSpans(a.DenseSpan<float>(), b.DenseSpan<float>()),
            DType.Float64 => EqualSpans(a.DenseSpan<double>(), b.DenseSpan<double>()),
            _ => a.DenseSpan<long>().SequenceEqual(b.DenseSpan<long>()),
        };

        // Numeric equality (0.0 == -0.0, NaN != NaN), not bitwise.
        static bool EqualSpans<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
            where T : unmanaged, INumber<T>
        {
            for (var i = 0; i < x.Length; i++)
            {
                if (x[i] != y[i])
                {
                    return false;
                }
            }
            return true;
        }
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

    /// <summary>In place: <c>this += alpha · other</c> (<c>add_</c>); <paramref name="other"/> broadcasts to this shape. Not recorded by autograd.</summary>
    public Tensor Add_(Tensor other, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckInPlace("Add_");
        using var _ = new Autograd.NoGrad();
        if (alpha != 1 && DType == other.DType && IsContiguous && other.IsContiguous && other.shape.AsSpan().SequenceEqual(shape) &&
            !other.SharesStorageWith(this))
        {
            // The optimizer update p += α·g in one fused pass, without a temporary for α·g.
            switch (DType)
            {
                case DType.Float32: TensorPrimitives.MultiplyAdd(other.DenseSpan<float>(), (float)alpha, AsSpan<float>(), AsSpan<float>()); break;
                case DType.Float64: TensorPrimitives.MultiplyAdd(other.DenseSpan<double>(), alpha, AsSpan<double>(), AsSpan<double>()); break;
                default: return InPlace<AddOp>(other.Mul(alpha), "add_");
            }
            return this;
        }
        return InPlace<AddOp>(alpha == 1 ? other : other.Mul(alpha), "add_");
    }

    /// <summary>In place: <c>this += value</c>.</summary>
    public Tensor Add_(double value) => Add_(ScalarLike(value));

    /// <summary>In place: <c>this −= other</c> (<c>sub_</c>).</summary>
    public Tensor Sub_(Tensor other) => Add_(other, -1);

    /// <summary>In place: <c>this *= other</c> (<c>mul_</c>); <paramref name="other"/> broadcasts to this shape.</summary>
    public Tensor Mul_(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckInPlace("Mul_");
        using var _ = new Autograd.NoGrad();
        return InPlace<MulOp>(other, "mul_");
    }

    /// <summary>In place: <c>this *= value</c>.</summary>
    public Tensor Mul_(double value) => Mul_(ScalarLike(value));

    /// <summary>In place: <c>this /= other</c> (<c>div_</c>); <paramref name="other"/> broadcasts to this shape.</summary>
    public Tensor Div_(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckInPlace("Div_");
        using var _ = new Autograd.NoGrad();
        if (!DType.IsFloatingPoint())
        {
            Div(other).CopyInto(this);
            return this;
        }
        return InPlace<DivOp>(other, "div_");
    }

    /// <summary>In place: <c>this /= value</c>.</summary>
    public Tensor Div_(double value) => Div_(ScalarLike(value));

    /// <summary>Applies <c>this = TOp(this, other)</c>, writing straight into the storage when this tensor is contiguous.</summary>
    private Tensor InPlace<TOp>(Tensor other, string op)
        where TOp : IBinaryOp
    {
        var target = ShapeUtil.Broadcast(op, shape, other.shape);
        if (!target.AsSpan().SequenceEqual(shape))
        {
            throw new ArgumentException(
                $"{op}: the result of shape {ShapeUtil.Format(target)} does not fit this tensor of shape {Shape}; an in-place operand " +
                "must broadcast to the tensor's own shape.");
        }
        // Writing straight into the storage is safe unless the operand is a different view of the same storage.
        var aliased = other.SharesStorageWith(this) &&
            !(other.Offset == Offset && other.shape.AsSpan().SequenceEqual(shape) && other.strides.AsSpan().SequenceEqual(strides));
        if (IsContiguous && !aliased)
        {
            BinaryInto<TOp>(this, other, this, op);
        }
        else
        {
            BinaryRaw<TOp>(this, other, op).CopyInto(this);
        }
        return this;
    }

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
}
