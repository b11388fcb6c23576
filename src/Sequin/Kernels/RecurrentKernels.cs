using System.Numerics;
using System.Numerics.Tensors;

namespace Sequin.Kernels;

/// <summary>
/// The fused per-time-step gate passes of the recurrent layers (forward and backward), on dense row-major spans.
/// </summary>
/// <remarks>
/// <para>
/// Every kernel handles one time step for <c>batch</c> active rows. Gate blocks follow PyTorch's order:
/// RNN: one block; LSTM: <c>i, f, g, o</c>; GRU: <c>r, z, n</c>. A row of gate values has <c>G·hidden</c> elements
/// (G = 1, 4, 3) and rows are contiguous (row stride <c>G·hidden</c>); hidden-sized rows have stride <c>hidden</c>.
/// </para>
/// <para>
/// Forward inputs: <c>xg</c> = the step's rows of the input projection <c>x·W_ihᵀ + b_ih</c>, <c>hg</c> = <c>h_{t−1}·W_hhᵀ</c>
/// (without bias) and <c>bhh</c> = <c>b_hh</c> (<c>G·hidden</c> elements, or empty when the layer has no bias).
/// The pre-activation is <c>(xg + hg) + bhh</c> for RNN/LSTM and all GRU gates but <c>n</c>, for which it is
/// <c>xg_n + r ⊙ (hg_n + b_hn)</c>. The activated gates are written to <c>gates</c>, which may be the same memory as
/// <c>xg</c> (each element is read before it is written). Nothing is allocated.
/// </para>
/// <para>
/// float and double take vectorised bodies (<see cref="RecurrentKernelsAvx512"/>, then <see cref="RecurrentKernelsAvx2"/>
/// for what is left of each row) chosen by <see cref="Simd.Current"/>; the scalar loops below finish the last
/// <c>hidden mod width</c> units and are the whole kernel on other CPUs, for other types, or when a span is shorter
/// than the shapes require (so the scalar indexing reports it). Every body loads all the inputs of an iteration before
/// it stores, so the aliasing allowed here (gates = xg, c = cPrev, h = hPrev, dc in and out) is safe on every path.
/// </para>
/// </remarks>
public static class RecurrentKernels
{
    /// <summary>Logistic sigmoid 1 / (1 + e^(−x)).</summary>
    public static T Sigmoid<T>(T x)
        where T : unmanaged, IFloatingPointIeee754<T>
        => T.One / (T.One + T.Exp(-x));

    /// <summary>The vector level to use for <typeparamref name="T"/>: <see cref="SimdLevel.Scalar"/> for types other than float and double.</summary>
    private static SimdLevel VectorLevel<T>()
        => typeof(T) == typeof(float) || typeof(T) == typeof(double) ? Simd.Current : SimdLevel.Scalar;

    /// <summary>
    /// Whether three gate-row spans hold <paramref name="batch"/> rows of <paramref name="gh"/> elements and the bias
    /// (length <paramref name="bhhLength"/>) is empty or one gate row; the vector bodies then index unchecked.
    /// </summary>
    private static bool RowsFit(int batch, int gh, int hidden, int bhhLength, int a, int b, int c)
        => hidden > 0 && a >= batch * gh && b >= batch * gh && c >= batch * gh && (bhhLength == 0 || bhhLength >= gh);

    private static T Bias<T>(ReadOnlySpan<T> bhh, int j)
        where T : unmanaged, IFloatingPointIeee754<T>
        => bhh.IsEmpty ? T.Zero : bhh[j];

    /// <summary>
    /// Elman RNN step: <c>h = act(xg + hg + bhh)</c>, act = tanh or relu. <paramref name="h"/> is <c>(batch × hidden)</c>
    /// and also serves as the saved activation for <see cref="RnnBackward"/>.
    /// </summary>
    public static void RnnForward<T>(bool relu, ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, Span<T> h, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var j0 = 0;
        var level = VectorLevel<T>();
        var n = batch * hidden;
        if (level != SimdLevel.Scalar && xg.Length >= n && hg.Length >= n && h.Length >= n && (bhh.IsEmpty || bhh.Length >= hidden))
        {
            if (level == SimdLevel.Avx512)
            {
                j0 = RecurrentKernelsAvx512.RnnForward(relu, xg, hg, bhh, h, batch, hidden, j0);
            }
            j0 = RecurrentKernelsAvx2.RnnForward(relu, xg, hg, bhh, h, batch, hidden, j0);
        }
        for (var b = 0; b < batch; b++)
        {
            var row = b * hidden;
            for (var j = j0; j < hidden; j++)
            {
                var pre = xg[row + j] + (hg[row + j] + Bias(bhh, j));
                h[row + j] = relu ? (pre > T.Zero ? pre : T.Zero) : T.Tanh(pre);
            }
        }
    }

    /// <summary>
    /// Elman RNN step backward: <c>dpre = dh ⊙ act′</c> from the saved output <paramref name="h"/>
    /// (tanh: <c>1 − h²</c>; relu: <c>h &gt; 0</c>). <paramref name="dpre"/> is <c>(batch × hidden)</c>.
    /// </summary>
    public static void RnnBackward<T>(bool relu, ReadOnlySpan<T> dh, ReadOnlySpan<T> h, Span<T> dpre, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = batch * hidden;
        var i0 = 0;
        var level = VectorLevel<T>();
        if (level != SimdLevel.Scalar && dh.Length >= n && h.Length >= n && dpre.Length >= n)
        {
            if (level == SimdLevel.Avx512)
            {
                i0 = RecurrentKernelsAvx512.RnnBackward(relu, dh, h, dpre, n, i0);
            }
            i0 = RecurrentKernelsAvx2.RnnBackward(relu, dh, h, dpre, n, i0);
        }
        for (var i = i0; i < n; i++)
        {
            dpre[i] = relu ? (h[i] > T.Zero ? dh[i] : T.Zero) : dh[i] * (T.One - h[i] * h[i]);
        }
    }

    /// <summary>
    /// LSTM step: <c>i, f, o = σ(·)</c>, <c>g = tanh(·)</c>, <c>c = f ⊙ c_prev + i ⊙ g</c>, <c>h = o ⊙ tanh(c)</c>.
    /// <paramref name="gates"/> <c>(batch × 4·hidden)</c> receives the activated gates; <paramref name="c"/> and
    /// <paramref name="h"/> are <c>(batch × hidden)</c>.
    /// </summary>
    public static void LstmForward<T>(ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, ReadOnlySpan<T> cPrev,
        Span<T> gates, Span<T> c, Span<T> h, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gh = 4 * hidden;
        var j0 = 0;
        var level = VectorLevel<T>();
        if (level != SimdLevel.Scalar && RowsFit(batch, gh, hidden, bhh.Length, xg.Length, hg.Length, gates.Length) &&
            cPrev.Length >= batch * hidden && c.Length >= batch * hidden && h.Length >= batch * hidden)
        {
            if (level == SimdLevel.Avx512)
            {
                j0 = RecurrentKernelsAvx512.LstmForward(xg, hg, bhh, cPrev, gates, c, h, batch, hidden, j0);
            }
            j0 = RecurrentKernelsAvx2.LstmForward(xg, hg, bhh, cPrev, gates, c, h, batch, hidden, j0);
        }
        for (var b = 0; b < batch; b++)
        {
            var gr = b * gh;
            var hr = b * hidden;
            for (var j = j0; j < hidden; j++)
            {
                var pi = xg[gr + j] + (hg[gr + j] + Bias(bhh, j));
                var pf = xg[gr + hidden + j] + (hg[gr + hidden + j] + Bias(bhh, hidden + j));
                var pg = xg[gr + 2 * hidden + j] + (hg[gr + 2 * hidden + j] + Bias(bhh, 2 * hidden + j));
                var po = xg[gr + 3 * hidden + j] + (hg[gr + 3 * hidden + j] + Bias(bhh, 3 * hidden + j));
                var i = Sigmoid(pi);
                var f = Sigmoid(pf);
                var g = T.Tanh(pg);
                var o = Sigmoid(po);
                gates[gr + j] = i;
                gates[gr + hidden + j] = f;
                gates[gr + 2 * hidden + j] = g;
                gates[gr + 3 * hidden + j] = o;
                var cy = f * cPrev[hr + j] + i * g;
                c[hr + j] = cy;
                h[hr + j] = o * T.Tanh(cy);
            }
        }
    }

    /// <summary>
    /// LSTM step backward. In: <paramref name="dh"/> = ∂L/∂h_t, <paramref name="dc"/> = ∂L/∂c_t from later steps (or
    /// c_n); out: <paramref name="dc"/> = ∂L/∂c_{t−1} and <paramref name="dgates"/> <c>(batch × 4·hidden)</c> = the
    /// gradients of the gate pre-activations. Uses the saved activated <paramref name="gates"/>, <paramref name="c"/>
    /// and <paramref name="cPrev"/>.
    /// </summary>
    public static void LstmBackward<T>(ReadOnlySpan<T> dh, Span<T> dc, ReadOnlySpan<T> gates, ReadOnlySpan<T> c, ReadOnlySpan<T> cPrev,
        Span<T> dgates, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gh = 4 * hidden;
        var j0 = 0;
        var level = VectorLevel<T>();
        if (level != SimdLevel.Scalar && RowsFit(batch, gh, hidden, 0, gates.Length, dgates.Length, gates.Length) &&
            dh.Length >= batch * hidden && dc.Length >= batch * hidden && c.Length >= batch * hidden && cPrev.Length >= batch * hidden)
        {
            if (level == SimdLevel.Avx512)
            {
                j0 = RecurrentKernelsAvx512.LstmBackward(dh, dc, gates, c, cPrev, dgates, batch, hidden, j0);
            }
            j0 = RecurrentKernelsAvx2.LstmBackward(dh, dc, gates, c, cPrev, dgates, batch, hidden, j0);
        }
        for (var b = 0; b < batch; b++)
        {
            var gr = b * gh;
            var hr = b * hidden;
            for (var j = j0; j < hidden; j++)
            {
                var i = gates[gr + j];
                var f = gates[gr + hidden + j];
                var g = gates[gr + 2 * hidden + j];
                var o = gates[gr + 3 * hidden + j];
                var tc = T.Tanh(c[hr + j]);
                var dhv = dh[hr + j];
                var dcv = dc[hr + j] + dhv * o * (T.One - tc * tc);
                dgates[gr + j] = dcv * g * i * (T.One - i);
                dgates[gr + hidden + j] = dcv * cPrev[hr + j] * f * (T.One - f);
                dgates[gr + 2 * hidden + j] = dcv * i * (T.One - g * g);
                dgates[gr + 3 * hidden + j] = dhv * tc * o * (T.One - o);
                dc[hr + j] = dcv * f;
            }
        }
    }

    /// <summary>
    /// GRU step: <c>r = σ(xg_r + hg_r + b_hr)</c>, <c>z = σ(xg_z + hg_z + b_hz)</c>,
    /// <c>n = tanh(xg_n + r ⊙ (hg_n + b_hn))</c>, <c>h = n + z ⊙ (h_prev − n)</c>. <paramref name="gates"/>
    /// <c>(batch × 3·hidden)</c> receives <c>r, z, n</c>; <paramref name="hn"/> <c>(batch × hidden)</c> receives
    /// <c>hg_n + b_hn</c> (needed by backward); <paramref name="h"/> <c>(batch × hidden)</c> the new state.
    /// </summary>
    public static void GruForward<T>(ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, ReadOnlySpan<T> hPrev,
        Span<T> gates, Span<T> hn, Span<T> h, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gh = 3 * hidden;
        var j0 = 0;
        var level = VectorLevel<T>();
        if (level != SimdLevel.Scalar && RowsFit(batch, gh, hidden, bhh.Length, xg.Length, hg.Length, gates.Length) &&
            hPrev.Length >= batch * hidden && hn.Length >= batch * hidden && h.Length >= batch * hidden)
        {
            if (level == SimdLevel.Avx512)
            {
                j0 = RecurrentKernelsAvx512.GruForward(xg, hg, bhh, hPrev, gates, hn, h, batch, hidden, j0);
            }
            j0 = RecurrentKernelsAvx2.GruForward(xg, hg, bhh, hPrev, gates, hn, h, batch, hidden, j0);
        }
        for (var b = 0; b < batch; b++)
        {
            var gr = b * gh;
            var hr = b * hidden;
            for (var j = j0; j < hidden; j++)
            {
                var r = Sigmoid(xg[gr + j] + (hg[gr + j] + Bias(bhh, j)));
                var z = Sigmoid(xg[gr + hidden + j] + (hg[gr + hidden + j] + Bias(bhh, hidden + j)));
                var hnv = hg[gr + 2 * hidden + j] + Bias(bhh, 2 * hidden + j);
                var n = T.Tanh(xg[gr + 2 * hidden + j] + r * hnv);
                gates[gr + j] = r;
                gates[gr + hidden + j] = z;
                gates[gr + 2 * hidden + j] = n;
                hn[hr + j] = hnv;
                h[hr + j] = n + z * (hPrev[hr + j] - n);
            }
        }
    }

    /// <summary>
    /// GRU step backward. From <paramref name="dh"/> = ∂L/∂h_t and the saved <paramref name="hPrev"/>,
    /// <paramref name="gates"/> and <paramref name="hn"/>, writes the pre-activation gradients seen by the input
    /// projection, <paramref name="dgi"/> = <c>(dr, dz, dn)</c>, and by the hidden projection, <paramref name="dgh"/> =
    /// <c>(dr, dz, dn ⊙ r)</c> (both <c>batch × 3·hidden</c>), and the direct part of ∂L/∂h_{t−1},
    /// <paramref name="dhPrev"/> = <c>dh ⊙ z</c> <c>(batch × hidden)</c>.
    /// </summary>
    public static void GruBackward<T>(ReadOnlySpan<T> dh, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> gates, ReadOnlySpan<T> hn,
        Span<T> dgi, Span<T> dgh, Span<T> dhPrev, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gh = 3 * hidden;
        var j0 = 0;
        var level = VectorLevel<T>();
        if (level != SimdLevel.Scalar && RowsFit(batch, gh, hidden, 0, gates.Length, dgi.Length, dgh.Length) &&
            dh.Length >= batch * hidden && hPrev.Length >= batch * hidden && hn.Length >= batch * hidden && dhPrev.Length >= batch * hidden)
        {
            if (level == SimdLevel.Avx512)
            {
                j0 = RecurrentKernelsAvx512.GruBackward(dh, hPrev, gates, hn, dgi, dgh, dhPrev, batch, hidden, j0);
            }
            j0 = RecurrentKernelsAvx2.GruBackward(dh, hPrev, gates, hn, dgi, dgh, dhPrev, batch, hidden, j0);
        }
        for (var b = 0; b < batch; b++)
        {
            var gr = b * gh;
            var hr = b * hidden;
            for (var j = j0; j < hidden; j++)
            {
                var r = gates[gr + j];
                var z = gates[gr + hidden + j];
                var n = gates[gr + 2 * hidden + j];
                var dhv = dh[hr + j];
                var dn = dhv * (T.One - z) * (T.One - n * n);
                var dz = dhv * (hPrev[hr + j] - n) * z * (T.One - z);
                var dr = dn * hn[hr + j] * r * (T.One - r);
                dgi[gr + j] = dr;
                dgi[gr + hidden + j] = dz;
                dgi[gr + 2 * hidden + j] = dn;
                dgh[gr + j] = dr;
                dgh[gr + hidden + j] = dz;
                dgh[gr + 2 * hidden + j] = dn * r;
                dhPrev[hr + j] = dhv * z;
            }
        }
    }

    /// <summary>Adds the column sums of the <c>(rows × cols)</c> matrix <paramref name="m"/> to <paramref name="sums"/> (bias gradients).</summary>
    public static void AddColumnSums<T>(ReadOnlySpan<T> m, int rows, int cols, Span<T> sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dst = sums[..cols];
        for (var r = 0; r < rows; r++)
        {
            // Row by row, so each column still sums in row order (the same numbers as a scalar loop).
            TensorPrimitives.Add(dst, m.Slice(r * cols, cols), dst);
        }
    }
}
