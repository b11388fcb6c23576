using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sequin.Kernels;

/// <summary>
/// AVX2 (256-bit, with FMA) bodies of the fused gate passes in <see cref="RecurrentKernels"/>, for float (8 lanes) and double (4 lanes),
/// with the vector sigmoid/tanh of <see cref="VecMath256"/>. Each body starts at hidden unit <c>start</c> of every row,
/// handles as many whole vectors as fit and returns the hidden unit where it stopped; the caller finishes the rest with
/// the scalar loop. On AVX-512 machines these bodies pick up where the AVX-512 ones stopped (the last 8–15 floats).
/// The caller has checked the span lengths once, so the bodies load and store unchecked. All loads of an iteration happen before its stores, so the documented aliasing (gates = xg,
/// c = cPrev, h = hPrev, dc in and out) stays safe. Only float and double may reach these methods.
/// </summary>
internal static class RecurrentKernelsAvx2
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Load<T>(ReadOnlySpan<T> s, int i) => Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Span<T> s, int i, Vector256<T> v) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Bias<T>(ReadOnlySpan<T> bhh, bool hasBias, int j) => hasBias ? Load(bhh, j) : Vector256<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Sigmoid<T>(Vector256<T> x) => typeof(T) == typeof(float)
        ? VecMath256.Sigmoid(x.As<T, float>()).As<float, T>()
        : VecMath256.Sigmoid(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Tanh<T>(Vector256<T> x) => typeof(T) == typeof(float)
        ? VecMath256.Tanh(x.As<T, float>()).As<float, T>()
        : VecMath256.Tanh(x.As<T, double>()).As<double, T>();

    /// <summary>The end of the whole vectors that fit in <c>[start, count)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int End<T>(int start, int count) => start + ((count - start) / Vector256<T>.Count * Vector256<T>.Count);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int RnnForward<T>(bool relu, ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, Span<T> h,
        int batch, int hidden, int start)
    {
        var end = End<T>(start, hidden);
        var hasBias = !bhh.IsEmpty;
        for (var b = 0; b < batch; b++)
        {
            var row = b * hidden;
            for (var j = start; j < end; j += Vector256<T>.Count)
            {
                var pre = Load(xg, row + j) + (Load(hg, row + j) + Bias(bhh, hasBias, j));
                // relu as a select on pre > 0, like the scalar code (so NaN and −0 give +0).
                var act = relu ? Vector256.ConditionalSelect(Vector256.GreaterThan(pre, Vector256<T>.Zero), pre, Vector256<T>.Zero) : Tanh(pre);
                Store(h, row + j, act);
            }
        }
        return end;
    }

    /// <summary>Elementwise over the <c>batch·hidden</c> elements: <paramref name="count"/> is that product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int RnnBackward<T>(bool relu, ReadOnlySpan<T> dh, ReadOnlySpan<T> h, Span<T> dpre, int count, int start)
    {
        var end = End<T>(start, count);
        for (var i = start; i < end; i += Vector256<T>.Count)
        {
            var hv = Load(h, i);
            var dhv = Load(dh, i);
            var d = relu
                ? Vector256.ConditionalSelect(Vector256.GreaterThan(hv, Vector256<T>.Zero), dhv, Vector256<T>.Zero)
                : dhv * (Vector256<T>.One - (hv * hv));
            Store(dpre, i, d);
        }
        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int LstmForward<T>(ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, ReadOnlySpan<T> cPrev,
        Span<T> gates, Span<T> c, Span<T> h, int batch, int hidden, int start)
    {
        var gh = 4 * hidden;
        var end = End<T>(start, hidden);
        var hasBias = !bhh.IsEmpty;
        for (var b = 0; b < batch; b++)
        {
            var gr = b * gh;
            var hr = b * hidden;
            for (var j = start; j < end; j += Vector256<T>.Count)
            {
                var pi = Load(xg, gr + j) + (Load(hg, gr + j) + Bias(bhh, hasBias, j));
                var pf = Load(xg, gr + hidden + j) + (Load(hg, gr + hidden + j) + Bias(bhh, hasBias, hidden + j));
                var pg = Load(xg, gr + (2 * hidden) + j) + (Load(hg, gr + (2 * hidden) + j) + Bias(bhh, hasBias, (2 * hidden) + j));
                var po = Load(xg, gr + (3 * hidden) + j) + (Load(hg, gr + (3 * hidden) + j) + Bias(bhh, hasBias, (3 * hidden) + j));
                var cp = Load(cPrev, hr + j);
                var i = Sigmoid(pi);
                var f = Sigmoid(pf);
                var g = Tanh(pg);
                var o = Sigmoid(po);
                Store(gates, gr + j, i);
                Store(gates, gr + hidden + j, f);
                Store(gates, gr + (2 * hidden) + j, g);
                Store(gates, gr + (3 * hidden) + j, o);
                var cy = (f * cp) + (i * g);
                Store(c, hr + j, cy);
                Store(h, hr + j, o * Tanh(cy));
            }
        }
        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int LstmBackward<T>(ReadOnlySpan<T> dh, Span<T> dc, ReadOnlySpan<T> gates, ReadOnlySpan<T> c, ReadOnlySpan<T> cPrev,
        Span<T> dgates, int batch, int hidden, int start)
    {
        var gh = 4 * hidden;
        var end = End<T>(start, hidden);
        var one = Vector256<T>.One;
        for (var b = 0; b < batch; b++)
        {
            var gr = b * gh;
            var hr = b * hidden;
            for (var j = start; j < end; j += Vector256<T>.Count)
            {
                var i = Load(gates, gr + j);
                var f = Load(gates, gr + hidden + j);
                var g = Load(gates, gr + (2 * hidden) + j);
                var o = Load(gates, gr + (3 * hidden) + j);
                var cp = Load(cPrev, hr + j);
                var tc = Tanh(Load(c, hr + j));
                var dhv = Load(dh, hr + j);
                var dcv = Load(dc, hr + j) + (dhv * o * (one - (tc * tc)));
                Store(dgates, gr + j, dcv * g * i * (one - i));
                Store(dgates, gr + hidden + j, dcv * cp * f * (one - f));
                Store(dgates, gr + (2 * hidden) + j, dcv * i * (one - (g * g)));
                Store(dgates, gr + (3 * hidden) + j, dhv * tc * o * (one - o));
                Store(dc, hr + j, dcv * f);
            }
        }
        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int GruForward<T>(ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, ReadOnlySpan<T> hPrev,
        Span<T> gates, Span<T> hn, Span<T> h, int batch, int hidden, int start)
    {
        var gh = 3 * hidden;
        var end = End<T>(start, hidden);
        var hasBias = !bhh.IsEmpty;
        for (var b = 0; b < batch; b++)
        {
            var gr = b * gh;
            var hr = b * hidden;
            for (var j = start; j < end; j += Vector256<T>.Count)
            {
                var r = Sigmoid(Load(xg, gr + j) + (Load(hg, gr + j) + Bias(bhh, hasBias, j)));
                var z = Sigmoid(Load(xg, gr + hidden + j) + (Load(hg, gr + hidden + j) + Bias(bhh, hasBias, hidden + j)));
                var hnv = Load(hg, gr + (2 * hidden) + j) + Bias(bhh, hasBias, (2 * hidden) + j);
                var n = Tanh(Load(xg, gr + (2 * hidden) + j) + (r * hnv));
                var hp = Load(hPrev, hr + j);
                Store(gates, gr + j, r);
                Store(gates, gr + hidden + j, z);
                Store(gates, gr + (2 * hidden) + j, n);
                Store(hn, hr + j, hnv);
                Store(h, hr + j, n + (z * (hp - n)));
            }
        }
        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int GruBackward<T>(ReadOnlySpan<T> dh, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> gates, ReadOnlySpan<T> hn,
        Span<T> dgi, Span<T> dgh, Span<T> dhPrev, int batch, int hidden, int start)
    {
        var gh = 3 * hidden;
        var end = End<T>(start, hidden);
        var one = Vector256<T>.One;
        for (var b = 0; b < batch; b++)
        {
            var gr = b * gh;
            var hr = b * hidden;
            for (var j = start; j < end; j += Vector256<T>.Count)
            {
                var r = Load(gates, gr + j);
                var z = Load(gates, gr + hidden + j);
                var n = Load(gates, gr + (2 * hidden) + j);
                var dhv = Load(dh, hr + j);
                var hp = Load(hPrev, hr + j);
                var hnv = Load(hn, hr + j);
                var dn = dhv * (one - z) * (one - (n * n));
                var dz = dhv * (hp - n) * z * (one - z);
                var dr = dn * hnv * r * (one - r);
                Store(dgi, gr + j, dr);
                Store(dgi, gr + hidden + j, dz);
                Store(dgi, gr + (2 * hidden) + j, dn);
                Store(dgh, gr + j, dr);
                Store(dgh, gr + hidden + j, dz);
                Store(dgh, gr + (2 * hidden) + j, dn * r);
                Store(dhPrev, hr + j, dhv * z);
            }
        }
        return end;
    }
}
