using System.Numerics;
using System.Numerics.Tensors;

namespace Sequin.Tensors;

/// <summary>A binary elementwise operation on dense spans of any numeric type, with scalar-operand forms.</summary>
internal interface IBinaryOp
{
    static abstract void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r)
        where T : unmanaged, INumber<T>;

    /// <summary>The operation with a scalar right operand.</summary>
    static abstract void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> r)
        where T : unmanaged, INumber<T>;

    /// <summary>The operation with a scalar left operand.</summary>
    static abstract void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> r)
        where T : unmanaged, INumber<T>;
}

/// <summary>A binary operation given by a scalar function; the loop drivers for the three operand forms.</summary>
internal interface IScalarBinary
{
    static abstract T Invoke<T>(T a, T b)
        where T : unmanaged, INumber<T>;
}

/// <summary>Loop drivers for operations without a TensorPrimitives counterpart.</summary>
internal static class ScalarLoops
{
    public static void Run<TF, T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r)
        where TF : IScalarBinary
        where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = TF.Invoke(a[i], b[i]);
        }
    }

    public static void Run<TF, T>(ReadOnlySpan<T> a, T b, Span<T> r)
        where TF : IScalarBinary
        where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = TF.Invoke(a[i], b);
        }
    }

    public static void Run<TF, T>(T a, ReadOnlySpan<T> b, Span<T> r)
        where TF : IScalarBinary
        where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = TF.Invoke(a, b[i]);
        }
    }
}

/// <summary>A unary elementwise operation defined for floating-point types.</summary>
internal interface IUnaryFloatOp
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> r)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>A unary elementwise operation defined for every numeric type (int64 included).</summary>
internal interface IUnaryNumberOp
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> r)
        where T : unmanaged, INumber<T>;
}

internal readonly struct AddOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Add(a, b, r);

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Add(a, b, r);

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Add(b, a, r);
}

internal readonly struct SubOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(a, b, r);

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(a, b, r);

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(a, b, r);
}

internal readonly struct MulOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(a, b, r);

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(a, b, r);

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(b, a, r);
}

internal readonly struct DivOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(a, b, r);

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(a, b, r);

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(a, b, r);
}

/// <summary>Base for operations defined by a scalar function <typeparamref name="TF"/>.</summary>
internal readonly struct LoopOp<TF> : IBinaryOp
    where TF : IScalarBinary
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => ScalarLoops.Run<TF, T>(a, b, r);

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> r) where T : unmanaged, INumber<T> => ScalarLoops.Run<TF, T>(a, b, r);

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => ScalarLoops.Run<TF, T>(a, b, r);
}

/// <summary>Elementwise maximum that propagates NaN, as <c>torch.maximum</c> does (TensorPrimitives.Max is IEEE 754 maximum).</summary>
internal readonly struct MaximumOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Max(a, b, r);

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Max(a, b, r);

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Max(b, a, r);
}

/// <summary>Elementwise minimum that propagates NaN, as <c>torch.minimum</c> does.</summary>
internal readonly struct MinimumOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Min(a, b, r);

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Min(a, b, r);

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Min(b, a, r);
}

/// <summary><c>a^b</c> computed in double (exact enough for float32, and correct for negative bases with integral exponents).</summary>
internal readonly struct PowFn : IScalarBinary
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, INumber<T>
        => T.CreateTruncating(Math.Pow(double.CreateTruncating(a), double.CreateTruncating(b)));
}

/// <summary>Comparison results are 1 (true) or 0 (false) of the operands' dtype.</summary>
internal readonly struct EqFn : IScalarBinary
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, INumber<T> => a == b ? T.One : T.Zero;
}

internal readonly struct NeFn : IScalarBinary
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, INumber<T> => a != b ? T.One : T.Zero;
}

internal readonly struct LtFn : IScalarBinary
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, INumber<T> => a < b ? T.One : T.Zero;
}

internal readonly struct LeFn : IScalarBinary
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, INumber<T> => a <= b ? T.One : T.Zero;
}

internal readonly struct GtFn : IScalarBinary
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, INumber<T> => a > b ? T.One : T.Zero;
}

internal readonly struct GeFn : IScalarBinary
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, INumber<T> => a >= b ? T.One : T.Zero;
}

internal readonly struct SigmoidOp : IUnaryFloatOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sigmoid(x, r);
}

internal readonly struct TanhOp : IUnaryFloatOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Tanh(x, r);
}

internal readonly struct ExpOp : IUnaryFloatOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, r);
}

internal readonly struct LogOp : IUnaryFloatOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, r);
}

internal readonly struct SqrtOp : IUnaryFloatOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, r);
}

internal readonly struct NegOp : IUnaryNumberOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Negate(x, r);
}

internal readonly struct AbsOp : IUnaryNumberOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Abs(x, r);
}

internal readonly struct SignOp : IUnaryNumberOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : T.Zero;
        }
    }
}

internal readonly struct ReluOp : IUnaryNumberOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, INumber<T>
    {
        // NaN stays NaN (PyTorch's relu propagates it); max(x, 0) otherwise.
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = x[i] > T.Zero || T.IsNaN(x[i]) ? x[i] : T.Zero;
        }
    }
}
