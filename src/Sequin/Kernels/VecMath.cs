using System.Numerics;
using System.Runtime.CompilerServices;

namespace Sequin.Kernels;

/// <summary>
/// exp, sigmoid and tanh on vectors, written once over the width <typeparamref name="TS"/> (<see cref="Ops512{T}"/>
/// or <see cref="Ops256{T}"/>) and inlined into the fused gate kernels and <see cref="Activations"/>. float:
/// Cephes-style range reduction with a degree-6 polynomial (about 2 ulp, subnormals included); double: the runtime's
/// vectorised exp and Cephes' rational tanh.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TS">The width's operations.</typeparam>
/// <typeparam name="TV">The width's vector of <typeparamref name="T"/>.</typeparam>
internal static class VecMath<T, TS, TV>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TS : IVectorOps<T, TV>
    where TV : struct
{
    /// <summary>Every lane = <paramref name="v"/> (a float constant: used on the float-only paths, where it is exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV C(float v) => TS.Broadcast(T.CreateTruncating(v));

    /// <summary>Every lane = <paramref name="v"/> (a double constant: the double-only paths, and values exact in float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV C(double v) => TS.Broadcast(T.CreateTruncating(v));

    /// <summary>
    /// e^x lane-wise. float: within about 2 ulp (subnormal results included); +inf above 88.7228, 0 below -103.98, NaN
    /// stays NaN. double: the runtime's vectorised exp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp(TV x) => typeof(T) == typeof(float) ? ExpFloat(x) : TS.RuntimeExp(x);

    /// <summary>
    /// float e^x for a clamped <paramref name="xc"/> without the final scaling: returns y ≈ e^r, where
    /// xc = n·ln 2 + r (<paramref name="n"/> = round(xc·log₂e), ln 2 split in two for an exact reduction) and y a
    /// degree-6 polynomial (Cephes' expf), so that e^xc = y · 2^n.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpReduced(TV xc, TV n)
    {
        var r = TS.Fma(n, C(-0.693359375f), xc);
        r = TS.Fma(n, C(2.12194440e-4f), r);
        var y = C(1.9875691500E-4f);
        y = TS.Fma(y, r, C(1.3981999507E-3f));
        y = TS.Fma(y, r, C(8.3334519073E-3f));
        y = TS.Fma(y, r, C(4.1665795894E-2f));
        y = TS.Fma(y, r, C(1.6666665459E-1f));
        y = TS.Fma(y, r, C(5.0000001201E-1f));
        return TS.Add(TS.Fma(y, TS.Mul(r, r), r), TS.One);
    }

    /// <summary>The float e^x of <see cref="Exp"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpFloat(TV x)
    {
        var xc = TS.MinNative(TS.MaxNative(x, C(-103.972f)), C(88.72283f));
        var n = TS.Round(TS.Mul(xc, C(1.44269504088896341f)));
        var y = ExpReduced(xc, n);
        // 2^n as two factors 2^n1 · 2^(n − n1) (n1 = ⌊n/2⌋), each a normal float for n in [-150, 128].
        var n1 = TS.Floor(TS.Mul(n, C(0.5f)));
        var result = TS.Mul(TS.Mul(y, TS.Pow2(n1)), TS.Pow2(TS.Sub(n, n1)));
        result = TS.Select(TS.GreaterThan(x, C(88.72283f)), C(float.PositiveInfinity), result);
        result = TS.Select(TS.LessThan(x, C(-103.972f)), TS.Zero, result);
        return TS.Select(TS.Equal(x, x), result, x);
    }

    /// <summary>
    /// The sigmoid of the fused gate passes: for float, <see cref="Sigmoid"/> built on <see cref="ExpNonPositiveFloat"/>
    /// (the gates only need e^x for x ≤ 0, which drops the overflow and NaN handling and the split scaling; within
    /// 3 ulp of the float64 sigmoid like <see cref="Sigmoid"/>, tested); for double,
    /// <see cref="Sigmoid"/> itself. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV GateSigmoid(TV x)
    {
        if (typeof(T) != typeof(float))
        {
            return Sigmoid(x);
        }
        var e = ExpNonPositiveFloat(TS.Neg(TS.Abs(x)));
        var s = TS.Div(TS.One, TS.Add(TS.One, e));
        return TS.Select(TS.Equal(x, x), TS.Select(TS.LessThan(x, TS.Zero), TS.Mul(e, s), s), x);
    }

    /// <summary>
    /// The tanh of the fused gate passes: for float, the odd polynomial below |x| = 0.625 and (1 − e)/(1 + e) with
    /// e = e^{−2|x|} above (no cancellation there: e ≤ 0.29), on <see cref="ExpNonPositiveFloat"/>, within 2 ulp of
    /// the float64 tanh (tested); for double, <see cref="Tanh"/> itself. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV GateTanh(TV x)
    {
        if (typeof(T) != typeof(float))
        {
            return Tanh(x);
        }
        var ax = TS.Abs(x);
        var e = ExpNonPositiveFloat(TS.Neg(TS.Add(ax, ax)));
        var large = TS.Div(TS.Sub(TS.One, e), TS.Add(TS.One, e));
        var result = TS.Select(TS.LessThan(ax, C(0.625)), TanhSmallFloat(x), large);
        // The sign bit of x on both branches: tanh(−0) = −0, as in Math.Tanh and PyTorch (the polynomial gave +0).
        result = TS.Select(TS.Broadcast(T.NegativeZero), x, result);
        return TS.Select(TS.Equal(x, x), result, x);
    }

    /// <summary>
    /// float e^x for x ≤ 0 (NaN lanes give garbage; callers select them out): the same reduction and polynomial as
    /// <see cref="Exp"/>, without its overflow and NaN handling. x is clamped at −104, where e^x rounds to 0, and
    /// results below the normal range are scaled as 2^(n+64) · 2^−64 (one rounding, into the subnormals), so the
    /// sigmoid's tail keeps its subnormal values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpNonPositiveFloat(TV x)
    {
        var xc = TS.MaxNative(x, C(-104f));
        var n = TS.Round(TS.Mul(xc, C(1.44269504088896341f)));
        var y = ExpReduced(xc, n);
        return TS.Mul(TS.Mul(y, TS.Pow2(TS.Add(n, C(64f)))), C(5.421010862427522e-20f)); // 2^−64
    }

    /// <summary>1 / (1 + e^-x) lane-wise, as e^-|x| / (1 + e^-|x|) for negative x so tiny results keep their digits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid(TV x)
    {
        var e = Exp(TS.Neg(TS.Abs(x)));
        var s = TS.Div(TS.One, TS.Add(TS.One, e));
        return TS.Select(TS.LessThan(x, TS.Zero), TS.Mul(e, s), s);
    }

    /// <summary>
    /// tanh lane-wise: below |x| = 0.625 an odd polynomial (float) or Cephes' rational approximation (double), which keep
    /// the relative accuracy near 0; above, 1 − 2/(e^{2|x|} + 1) with the sign of x.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Tanh(TV x)
    {
        var ax = TS.Abs(x);
        var small = typeof(T) == typeof(float) ? TanhSmallFloat(x) : TanhSmallDouble(x);
        var e = Exp(TS.Add(ax, ax));
        var large = TS.Sub(TS.One, TS.Div(C(2.0), TS.Add(e, TS.One)));
        // The sign bit of x on both branches: tanh(−0) = −0, as in Math.Tanh and PyTorch (the polynomial gave +0).
        return TS.Select(TS.Broadcast(T.NegativeZero), x, TS.Select(TS.LessThan(ax, C(0.625)), small, large));
    }

    /// <summary>float tanh for |x| &lt; 0.625: x + x·z·P(z), z = x², P of degree 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV TanhSmallFloat(TV x)
    {
        var z = TS.Mul(x, x);
        var p = C(-5.70498872745E-3f);
        p = TS.Fma(p, z, C(2.06390887954E-2f));
        p = TS.Fma(p, z, C(-5.37397155531E-2f));
        p = TS.Fma(p, z, C(1.33314422036E-1f));
        p = TS.Fma(p, z, C(-3.33332819422E-1f));
        return TS.Fma(TS.Mul(p, z), x, x);
    }

    /// <summary>double tanh for |x| &lt; 0.625: Cephes' x + x·z·P(z)/Q(z), z = x².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV TanhSmallDouble(TV x)
    {
        var z = TS.Mul(x, x);
        var p = C(-9.64399179425052238628E-1);
        p = TS.Fma(p, z, C(-9.92877231001918586564E1));
        p = TS.Fma(p, z, C(-1.61468768441708447952E3));
        var q = TS.Add(z, C(1.12811678491632931402E2));
        q = TS.Fma(q, z, C(2.23548839060100448583E3));
        q = TS.Fma(q, z, C(4.84406305325125486048E3));
        return TS.Fma(TS.Div(TS.Mul(z, p), q), x, x);
    }
}
