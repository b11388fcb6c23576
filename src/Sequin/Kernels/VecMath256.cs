using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sequin.Kernels;

/// <summary>
/// exp, sigmoid and tanh on 256-bit vectors, inlined into the fused gate kernels. float: Cephes-style
/// range reduction with a degree-6 polynomial (about 2 ulp, subnormals included); double:
/// the runtime's <see cref="Vector256.Exp(Vector256{double})"/> and Cephes' rational tanh.
/// </summary>
internal static class VecMath256
{
    /// <summary>e^x lane-wise, within about 2 ulp (subnormal results included); +inf above 88.7228, 0 below -103.98, NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var xc = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(-103.972f)), Vector256.Create(88.72283f));
        var n = Vector256.Round(xc * Vector256.Create(1.44269504088896341f));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), xc);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var y = Vector256.Create(1.9875691500E-4f);
        y = Vector256.FusedMultiplyAdd(y, r, Vector256.Create(1.3981999507E-3f));
        y = Vector256.FusedMultiplyAdd(y, r, Vector256.Create(8.3334519073E-3f));
        y = Vector256.FusedMultiplyAdd(y, r, Vector256.Create(4.1665795894E-2f));
        y = Vector256.FusedMultiplyAdd(y, r, Vector256.Create(1.6666665459E-1f));
        y = Vector256.FusedMultiplyAdd(y, r, Vector256.Create(5.0000001201E-1f));
        y = Vector256.FusedMultiplyAdd(y, r * r, r) + Vector256<float>.One;
        // 2^n as two factors 2^n1 · 2^n2 (n1 = n >> 1), each a normal float for n in [-150, 128].
        var ni = Vector256.ConvertToInt32(n);
        var n1 = Vector256.ShiftRightArithmetic(ni, 1);
        var bias = Vector256.Create(127);
        var p1 = Vector256.ShiftLeft(n1 + bias, 23).AsSingle();
        var p2 = Vector256.ShiftLeft(ni - n1 + bias, 23).AsSingle();
        var result = y * p1 * p2;
        result = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(88.72283f)), Vector256.Create(float.PositiveInfinity), result);
        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-103.972f)), Vector256<float>.Zero, result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    /// <summary>1 / (1 + e^-x) lane-wise, as e^-|x| / (1 + e^-|x|) for negative x so tiny results keep their digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
    {
        var e = Exp(-Vector256.Abs(x));
        var s = Vector256<float>.One / (Vector256<float>.One + e);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), e * s, s);
    }

    /// <summary>tanh lane-wise: odd polynomial below |x| = 0.625 (keeps relative accuracy near 0), 1 − 2/(e^{2|x|} + 1) above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var z = x * x;
        var p = Vector256.Create(-5.70498872745E-3f);
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(2.06390887954E-2f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(-5.37397155531E-2f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(1.33314422036E-1f));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(-3.33332819422E-1f));
        var small = Vector256.FusedMultiplyAdd(p * z, x, x);
        var e = Exp(ax + ax);
        var large = Vector256<float>.One - (Vector256.Create(2f) / (e + Vector256<float>.One));
        large = Vector256.ConditionalSelect(Vector256.Create(-0f), x, large);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.625f)), small, large);
    }

    /// <summary>e^x lane-wise (the runtime's vectorised exp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Exp(Vector256<double> x) => Vector256.Exp(x);

    /// <summary>1 / (1 + e^-x) lane-wise, as e^-|x| / (1 + e^-|x|) for negative x so tiny results keep their digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Sigmoid(Vector256<double> x)
    {
        var e = Vector256.Exp(-Vector256.Abs(x));
        var s = Vector256<double>.One / (Vector256<double>.One + e);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<double>.Zero), e * s, s);
    }

    /// <summary>tanh lane-wise: Cephes' rational approximation below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Tanh(Vector256<double> x)
    {
        var ax = Vector256.Abs(x);
        var z = x * x;
        var p = Vector256.Create(-9.64399179425052238628E-1);
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(-9.92877231001918586564E1));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(-1.61468768441708447952E3));
        var q = z + Vector256.Create(1.12811678491632931402E2);
        q = Vector256.FusedMultiplyAdd(q, z, Vector256.Create(2.23548839060100448583E3));
        q = Vector256.FusedMultiplyAdd(q, z, Vector256.Create(4.84406305325125486048E3));
        var small = Vector256.FusedMultiplyAdd(z * p / q, x, x);
        var e = Vector256.Exp(ax + ax);
        var large = Vector256<double>.One - (Vector256.Create(2.0) / (e + Vector256<double>.One));
        large = Vector256.ConditionalSelect(Vector256.Create(-0.0), x, large);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.625)), small, large);
    }
}
