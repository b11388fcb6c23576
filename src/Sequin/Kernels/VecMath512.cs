using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sequin.Kernels;

/// <summary>
/// exp, sigmoid and tanh on 512-bit vectors, inlined into the fused gate kernels. float: Cephes-style
/// range reduction with a degree-6 polynomial (about 2 ulp, subnormals included); double:
/// the runtime's <see cref="Vector512.Exp(Vector512{double})"/> and Cephes' rational tanh.
/// </summary>
internal static class VecMath512
{
    /// <summary>e^x lane-wise, within about 2 ulp (subnormal results included); +inf above 88.7228, 0 below -103.98, NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var xc = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(-103.972f)), Vector512.Create(88.72283f));
        var n = Vector512.Round(xc * Vector512.Create(1.44269504088896341f));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), xc);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var y = Vector512.Create(1.9875691500E-4f);
        y = Vector512.FusedMultiplyAdd(y, r, Vector512.Create(1.3981999507E-3f));
        y = Vector512.FusedMultiplyAdd(y, r, Vector512.Create(8.3334519073E-3f));
        y = Vector512.FusedMultiplyAdd(y, r, Vector512.Create(4.1665795894E-2f));
        y = Vector512.FusedMultiplyAdd(y, r, Vector512.Create(1.6666665459E-1f));
        y = Vector512.FusedMultiplyAdd(y, r, Vector512.Create(5.0000001201E-1f));
        y = Vector512.FusedMultiplyAdd(y, r * r, r) + Vector512<float>.One;
        // 2^n as two factors 2^n1 · 2^n2 (n1 = n >> 1), each a normal float for n in [-150, 128].
        var ni = Vector512.ConvertToInt32(n);
        var n1 = Vector512.ShiftRightArithmetic(ni, 1);
        var bias = Vector512.Create(127);
        var p1 = Vector512.ShiftLeft(n1 + bias, 23).AsSingle();
        var p2 = Vector512.ShiftLeft(ni - n1 + bias, 23).AsSingle();
        var result = y * p1 * p2;
        result = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(88.72283f)), Vector512.Create(float.PositiveInfinity), result);
        result = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(-103.972f)), Vector512<float>.Zero, result);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }

    /// <summary>1 / (1 + e^-x) lane-wise, as e^-|x| / (1 + e^-|x|) for negative x so tiny results keep their digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x)
    {
        var e = Exp(-Vector512.Abs(x));
        var s = Vector512<float>.One / (Vector512<float>.One + e);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), e * s, s);
    }

    /// <summary>tanh lane-wise: odd polynomial below |x| = 0.625 (keeps relative accuracy near 0), 1 − 2/(e^{2|x|} + 1) above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var ax = Vector512.Abs(x);
        var z = x * x;
        var p = Vector512.Create(-5.70498872745E-3f);
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(2.06390887954E-2f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-5.37397155531E-2f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(1.33314422036E-1f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-3.33332819422E-1f));
        var small = Vector512.FusedMultiplyAdd(p * z, x, x);
        var e = Exp(ax + ax);
        var large = Vector512<float>.One - (Vector512.Create(2f) / (e + Vector512<float>.One));
        large = Vector512.ConditionalSelect(Vector512.Create(-0f), x, large);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.625f)), small, large);
    }

    /// <summary>e^x lane-wise (the runtime's vectorised exp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Exp(Vector512<double> x) => Vector512.Exp(x);

    /// <summary>1 / (1 + e^-x) lane-wise, as e^-|x| / (1 + e^-|x|) for negative x so tiny results keep their digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Sigmoid(Vector512<double> x)
    {
        var e = Vector512.Exp(-Vector512.Abs(x));
        var s = Vector512<double>.One / (Vector512<double>.One + e);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<double>.Zero), e * s, s);
    }

    /// <summary>tanh lane-wise: Cephes' rational approximation below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Tanh(Vector512<double> x)
    {
        var ax = Vector512.Abs(x);
        var z = x * x;
        var p = Vector512.Create(-9.64399179425052238628E-1);
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-9.92877231001918586564E1));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-1.61468768441708447952E3));
        var q = z + Vector512.Create(1.12811678491632931402E2);
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(2.23548839060100448583E3));
        q = Vector512.FusedMultiplyAdd(q, z, Vector512.Create(4.84406305325125486048E3));
        var small = Vector512.FusedMultiplyAdd(z * p / q, x, x);
        var e = Vector512.Exp(ax + ax);
        var large = Vector512<double>.One - (Vector512.Create(2.0) / (e + Vector512<double>.One));
        large = Vector512.ConditionalSelect(Vector512.Create(-0.0), x, large);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.625)), small, large);
    }
}
