using System.Numerics;
using System.Numerics.Tensors;

namespace Sequin.Tensors;

/// <summary>A binary elementwise operation on dense spans of any numeric type.</summary>
internal interface IBinaryOp
{
    static abstract void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r)
        where T : unmanaged, INumber<T>;
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
}

internal readonly struct SubOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Subtract(a, b, r);
}

internal readonly struct MulOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(a, b, r);
}

internal readonly struct DivOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => TensorPrimitives.Divide(a, b, r);
}

internal readonly struct MaximumOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = T.MaxNumber(a[i], b[i]);
        }
    }
}

internal readonly struct MinimumOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = T.MinNumber(a[i], b[i]);
        }
    }
}

/// <summary>Comparison results are 1 (true) or 0 (false) of the operands' dtype.</summary>
internal readonly struct EqOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = a[i] == b[i] ? T.One : T.Zero;
        }
    }
}

internal readonly struct NeOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = a[i] != b[i] ? T.One : T.Zero;
        }
    }
}

internal readonly struct LtOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = a[i] < b[i] ? T.One : T.Zero;
        }
    }
}

internal readonly struct LeOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = a[i] <= b[i] ? T.One : T.Zero;
        }
    }
}

internal readonly struct GtOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => LtOp.Apply(b, a, r);
}

internal readonly struct GeOp : IBinaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> r) where T : unmanaged, INumber<T> => LeOp.Apply(b, a, r);
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
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, INumber<T>
    {
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = T.Abs(x[i]);
        }
    }
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
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = x[i] > T.Zero ? x[i] : T.Zero;
        }
    }
}
