using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sequin.Kernels;

/// <summary>
/// AVX-512 float bodies of the fused gate passes in <see cref="RecurrentKernels"/>: 16 hidden units per iteration with
/// the vector sigmoid/tanh of <see cref="VecMath512"/>. Each returns how many leading hidden units (a multiple of 16)
/// it handled in every row; the scalar loop finishes the rest. All loads of an iteration happen before its stores, so
/// the documented aliasing (gates = xg, c = cPrev, h = hPrev) stays safe.
/// </summary>
internal static class RecurrentKernelsAvx512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load(ReadOnlySpan<float> s, int i) => Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Span<float> s, int i, Vector512<float> v) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);

    public static int LstmForward(ReadOnlySpan<float> xg, ReadOnlySpan<float> hg, ReadOnlySpan<float> bhh, ReadOnlySpan<float> cPrev,
        Span<float> gates, Span<float> c, Span<float> h, int batch, int hidden)
    {
        var gh = 4 * hidden;
        var jv = hidden & ~15;
        // Bounds: the vector loop touches the same elements as the scalar loop; check the spans once.
        if (xg.Length < batch * gh || hg.Length < batch * gh || gates.Length < batch * gh || cPrev.Length < batch * hidden ||
            c.Length < batch * hidden || h.Length < batch * hidden || (!bhh.IsEmpty && bhh.Length < gh))
        {
            return 0;
        }
        var hasBias = !bhh.IsEmpty;
        for (var b = 0; b < batch; b++)
        {
            var gr = b * gh;
            var hr = b * hidden;
            for (var j = 0; j < jv; j += 16)
            {
                var pi = Load(xg, gr + j) + (Load(hg, gr + j) + (hasBias ? Load(bhh, j) : Vector512<float>.Zero));
                var pf = Load(xg, gr + hidden + j) + (Load(hg, gr + hidden + j) + (hasBias ? Load(bhh, hidden + j) : Vector512<float>.Zero));
                var pg = Load(xg, gr + (2 * hidden) + j) + (Load(hg, gr + (2 * hidden) + j) + (hasBias ? Load(bhh, (2 * hidden) + j) : Vector512<float>.Zero));
                var po = Load(xg, gr + (3 * hidden) + j) + (Load(hg, gr + (3 * hidden) + j) + (hasBias ? Load(bhh, (3 * hidden) + j) : Vector512<float>.Zero));
                var cp = Load(cPrev, hr + j);
                var i = VecMath512.Sigmoid(pi);
                var f = VecMath512.Sigmoid(pf);
                var g = VecMath512.Tanh(pg);
                var o = VecMath512.Sigmoid(po);
                Store(gates, gr + j, i);
                Store(gates, gr + hidden + j, f);
                Store(gates, gr + (2 * hidden) + j, g);
                Store(gates, gr + (3 * hidden) + j, o);
                var cy = (f * cp) + (i * g);
                Store(c, hr + j, cy);
                Store(h, hr + j, o * VecMath512.Tanh(cy));
            }
        }
        return jv;
    }

    public static int GruForward(ReadOnlySpan<float> xg, ReadOnlySpan<float> hg, ReadOnlySpan<float> bhh, ReadOnlySpan<float> hPrev,
        Span<float> gates, Span<float> hn, Span<float> h, int batch, int hidden)
    {
        var gh = 3 * hidden;
        var jv = hidden & ~15;
        if (xg.Length < batch * gh || hg.Length < batch * gh || gates.Length < batch * gh || hPrev.Length < batch * hidden ||
            hn.Length < batch * hidden || h.Length < batch * hidden || (!bhh.IsEmpty && bhh.Length < gh))
        {
            return 0;
        }
        var hasBias = !bhh.IsEmpty;
        for (var b = 0; b < batch; b++)
        {
            var gr = b * gh;
            var hr = b * hidden;
            for (var j = 0; j < jv; j += 16)
            {
                var r = VecMath512.Sigmoid(Load(xg, gr + j) + (Load(hg, gr + j) + (hasBias ? Load(bhh, j) : Vector512<float>.Zero)));
                var z = VecMath512.Sigmoid(Load(xg, gr + hidden + j) + (Load(hg, gr + hidden + j) + (hasBias ? Load(bhh, hidden + j) : Vector512<float>.Zero)));
                var hnv = Load(hg, gr + (2 * hidden) + j) + (hasBias ? Load(bhh, (2 * hidden) + j) : Vector512<float>.Zero);
                var n = VecMath512.Tanh(Load(xg, gr + (2 * hidden) + j) + (r * hnv));
                var hp = Load(hPrev, hr + j);
                Store(gates, gr + j, r);
                Store(gates, gr + hidden + j, z);
                Store(gates, gr + (2 * hidden) + j, n);
                Store(hn, hr + j, hnv);
                Store(h, hr + j, n + (z * (hp - n)));
            }
        }
        return jv;
    }
}
