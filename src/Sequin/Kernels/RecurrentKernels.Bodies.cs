using System.Numerics;
using System.Runtime.CompilerServices;

namespace Sequin.Kernels;

public static partial class RecurrentKernels
{
    /// <summary>
    /// The one body of each fused gate pass, at the width <typeparamref name="TS"/> (<see cref="Ops512{T}"/>,
    /// <see cref="Ops256{T}"/> or <see cref="OpsScalar{T}"/>): the formulas exist once and the JIT compiles a specialised
    /// copy per width, as if written by hand.
    /// </summary>
    /// <remarks>
    /// Each body starts at hidden unit <c>start</c> of every row (element <c>start</c> for the elementwise RNN backward),
    /// handles as many whole vectors as fit and returns where it stopped; the public methods chain the widths (512, 256,
    /// scalar). The vector widths load and store unchecked (the caller has checked the span lengths once, and only float
    /// and double reach them); the scalar width indexes the spans. All loads of an iteration happen before its stores, so
    /// the documented aliasing (gates = xg, c = cPrev, h = hPrev, dc in and out) stays safe. Products and sums are grouped
    /// as the comments write them (left to right), the same on every width; only sigmoid and tanh differ (VecMath on
    /// vectors, <c>T.Exp</c>/<c>T.Tanh</c> on scalars).
    /// </remarks>
    private static class Bodies<T, TS, TV>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        /// <summary>The end of the whole vectors that fit in <c>[start, count)</c>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int End(int start, int count)
            => start + ((count - start) / TS.Count * TS.Count);

        /// <summary>The pre-activation <c>xg[k] + (hg[k] + bhh[j])</c> of the gate element at <c>k = row + j</c> (bias 0 when absent).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Pre(ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, bool hasBias, int row, int j)
            => TS.Add(TS.Load(xg, row + j), TS.Add(TS.Load(hg, row + j), hasBias ? TS.Load(bhh, j) : TS.Zero));

        /// <summary>
        /// As <see cref="Pre"/>, or <c>xg[k] + bhh[j]</c> when <paramref name="summed"/> (both products already added into
        /// xg; bhh then holds both biases).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV PreOrSummed(ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, bool hasBias, bool summed, int row, int j)
            => summed ? (hasBias ? TS.Add(TS.Load(xg, row + j), TS.Load(bhh, j)) : TS.Load(xg, row + j)) : Pre(xg, hg, bhh, hasBias, row, j);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static int RnnForward(bool relu, ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, Span<T> h,
            int batch, int hidden, int start)
        {
            var end = End(start, hidden);
            var hasBias = !bhh.IsEmpty;
            for (var b = 0; b < batch; b++)
            {
                var row = b * hidden;
                for (var j = start; j < end; j += TS.Count)
                {
                    var pre = Pre(xg, hg, bhh, hasBias, row, j);
                    // relu as a select on pre > 0 (so NaN and −0 give +0).
                    TS.Store(h, row + j, relu ? TS.SelectPositive(pre, pre) : TS.Tanh(pre));
                }
            }
            return end;
        }

        /// <summary>
        /// Elementwise over the <c>batch·hidden</c> elements: <paramref name="count"/> is that product. Small enough to inline
        /// into <see cref="RecurrentKernels.RnnBackward{T}"/> (saving three calls on the one-row steps, where the whole pass is ~15 ns).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
        public static int RnnBackward(bool relu, ReadOnlySpan<T> dh, ReadOnlySpan<T> h, Span<T> dpre, int count, int start)
        {
            var end = End(start, count);
            for (var i = start; i < end; i += TS.Count)
            {
                var hv = TS.Load(h, i);
                var dhv = TS.Load(dh, i);
                TS.Store(dpre, i, relu ? TS.SelectPositive(hv, dhv) : TS.Mul(dhv, TS.Sub(TS.One, TS.Mul(hv, hv))));
            }
            return end;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static int LstmForward(ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, ReadOnlySpan<T> cPrev,
            Span<T> gates, Span<T> c, Span<T> h, int batch, int hidden, int start)
        {
            var gh = 4 * hidden;
            var end = End(start, hidden);
            var hasBias = !bhh.IsEmpty;
            var summed = hg.IsEmpty;
            var keep = !gates.IsEmpty;
            for (var b = 0; b < batch; b++)
            {
                var gr = b * gh;
                var hr = b * hidden;
                for (var j = start; j < end; j += TS.Count)
                {
                    var pi = PreOrSummed(xg, hg, bhh, hasBias, summed, gr, j);
                    var pf = PreOrSummed(xg, hg, bhh, hasBias, summed, gr, hidden + j);
                    var pg = PreOrSummed(xg, hg, bhh, hasBias, summed, gr, (2 * hidden) + j);
                    var po = PreOrSummed(xg, hg, bhh, hasBias, summed, gr, (3 * hidden) + j);
                    var cp = TS.Load(cPrev, hr + j);
                    var i = TS.Sigmoid(pi);
                    var f = TS.Sigmoid(pf);
                    var g = TS.Tanh(pg);
                    var o = TS.Sigmoid(po);
                    if (keep)
                    {
                        TS.Store(gates, gr + j, i);
                        TS.Store(gates, gr + hidden + j, f);
                        TS.Store(gates, gr + (2 * hidden) + j, g);
                        TS.Store(gates, gr + (3 * hidden) + j, o);
                    }
                    var cy = TS.Add(TS.Mul(f, cp), TS.Mul(i, g)); // f·c_prev + i·g
                    TS.Store(c, hr + j, cy);
                    TS.Store(h, hr + j, TS.Mul(o, TS.Tanh(cy)));
                }
            }
            return end;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static int LstmBackward(ReadOnlySpan<T> dh, Span<T> dc, ReadOnlySpan<T> gates, ReadOnlySpan<T> c, ReadOnlySpan<T> cPrev,
            Span<T> dgates, int batch, int hidden, int start)
        {
            var gh = 4 * hidden;
            var end = End(start, hidden);
            var one = TS.One;
            for (var b = 0; b < batch; b++)
            {
                var gr = b * gh;
                var hr = b * hidden;
                for (var j = start; j < end; j += TS.Count)
                {
                    var i = TS.Load(gates, gr + j);
                    var f = TS.Load(gates, gr + hidden + j);
                    var g = TS.Load(gates, gr + (2 * hidden) + j);
                    var o = TS.Load(gates, gr + (3 * hidden) + j);
                    var cp = TS.Load(cPrev, hr + j);
                    var tc = TS.Tanh(TS.Load(c, hr + j));
                    var dhv = TS.Load(dh, hr + j);
                    // dc_t = dc + dh·o·(1 − tanh²c), then each gate's pre-activation gradient.
                    var dcv = TS.Add(TS.Load(dc, hr + j), TS.Mul(TS.Mul(dhv, o), TS.Sub(one, TS.Mul(tc, tc))));
                    TS.Store(dgates, gr + j, TS.Mul(TS.Mul(TS.Mul(dcv, g), i), TS.Sub(one, i)));
                    TS.Store(dgates, gr + hidden + j, TS.Mul(TS.Mul(TS.Mul(dcv, cp), f), TS.Sub(one, f)));
                    TS.Store(dgates, gr + (2 * hidden) + j, TS.Mul(TS.Mul(dcv, i), TS.Sub(one, TS.Mul(g, g))));
                    TS.Store(dgates, gr + (3 * hidden) + j, TS.Mul(TS.Mul(TS.Mul(dhv, tc), o), TS.Sub(one, o)));
                    TS.Store(dc, hr + j, TS.Mul(dcv, f));
                }
            }
            return end;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static int GruForward(ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, ReadOnlySpan<T> hPrev,
            Span<T> gates, Span<T> hn, Span<T> h, int batch, int hidden, int start)
        {
            var gh = 3 * hidden;
            var end = End(start, hidden);
            var hasBias = !bhh.IsEmpty;
            var keep = !gates.IsEmpty;
            for (var b = 0; b < batch; b++)
            {
                var gr = b * gh;
                var hr = b * hidden;
                for (var j = start; j < end; j += TS.Count)
                {
                    var r = TS.Sigmoid(Pre(xg, hg, bhh, hasBias, gr, j));
                    var z = TS.Sigmoid(Pre(xg, hg, bhh, hasBias, gr, hidden + j));
                    var n2 = (2 * hidden) + j;
                    var hnv = TS.Add(TS.Load(hg, gr + n2), hasBias ? TS.Load(bhh, n2) : TS.Zero); // W_hn·h + b_hn
                    var n = TS.Tanh(TS.Add(TS.Load(xg, gr + n2), TS.Mul(r, hnv)));
                    var hp = TS.Load(hPrev, hr + j);
                    if (keep)
                    {
                        TS.Store(gates, gr + j, r);
                        TS.Store(gates, gr + hidden + j, z);
                        TS.Store(gates, gr + n2, n);
                        TS.Store(hn, hr + j, hnv);
                    }
                    TS.Store(h, hr + j, TS.Add(n, TS.Mul(z, TS.Sub(hp, n)))); // n + z·(h_prev − n)
                }
            }
            return end;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static int GruBackward(ReadOnlySpan<T> dh, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> gates, ReadOnlySpan<T> hn,
            Span<T> dgi, Span<T> dgh, Span<T> dhPrev, int batch, int hidden, int start)
        {
            var gh = 3 * hidden;
            var end = End(start, hidden);
            var one = TS.One;
            for (var b = 0; b < batch; b++)
            {
                var gr = b * gh;
                var hr = b * hidden;
                for (var j = start; j < end; j += TS.Count)
                {
                    var r = TS.Load(gates, gr + j);
                    var z = TS.Load(gates, gr + hidden + j);
                    var n = TS.Load(gates, gr + (2 * hidden) + j);
                    var dhv = TS.Load(dh, hr + j);
                    var hp = TS.Load(hPrev, hr + j);
                    var hnv = TS.Load(hn, hr + j);
                    var dn = TS.Mul(TS.Mul(dhv, TS.Sub(one, z)), TS.Sub(one, TS.Mul(n, n)));   // dh·(1 − z)·(1 − n²)
                    var dz = TS.Mul(TS.Mul(TS.Mul(dhv, TS.Sub(hp, n)), z), TS.Sub(one, z));   // dh·(h_prev − n)·z·(1 − z)
                    var dr = TS.Mul(TS.Mul(TS.Mul(dn, hnv), r), TS.Sub(one, r));              // dn·hn·r·(1 − r)
                    TS.Store(dgi, gr + j, dr);
                    TS.Store(dgi, gr + hidden + j, dz);
                    TS.Store(dgi, gr + (2 * hidden) + j, dn);
                    TS.Store(dgh, gr + j, dr);
                    TS.Store(dgh, gr + hidden + j, dz);
                    TS.Store(dgh, gr + (2 * hidden) + j, TS.Mul(dn, r));
                    TS.Store(dhPrev, hr + j, TS.Mul(dhv, z));
                }
            }
            return end;
        }
    }
}
