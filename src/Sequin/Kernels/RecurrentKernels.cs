using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
/// Each pass is written once, as a generic body over an <see cref="ISimdOps{T, TV}"/> width (RecurrentKernels.Bodies.cs),
/// which the JIT specialises per width. float and double run it at 512 bits (AVX-512), then at 256 bits for what is
/// left of each row, as <see cref="Simd.Current"/> allows; the scalar instantiation finishes the last
/// <c>hidden mod width</c> units and is the whole kernel on other CPUs, for other types, or when a span is shorter
/// than the shapes require (its loads and stores index the spans, so that is reported there). Every body loads all the
/// inputs of an iteration before it stores, so the aliasing allowed here (gates = xg, c = cPrev, h = hPrev, dc in and
/// out) is safe on every path.
/// </para>
/// </remarks>
public static partial class RecurrentKernels
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

    /// <summary>
    /// Elman RNN step: <c>h = act(xg + hg + bhh)</c>, act = tanh or relu. <paramref name="h"/> is <c>(batch × hidden)</c>
    /// and also serves as the saved activation for <see cref="RnnBackward"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                j0 = Bodies<T, Ops512<T>, Vector512<T>>.RnnForward(relu, xg, hg, bhh, h, batch, hidden, j0);
            }
            j0 = Bodies<T, Ops256<T>, Vector256<T>>.RnnForward(relu, xg, hg, bhh, h, batch, hidden, j0);
        }
        if (j0 < hidden)
        {
            Bodies<T, OpsScalar<T>, T>.RnnForward(relu, xg, hg, bhh, h, batch, hidden, j0);
        }
    }

    /// <summary>
    /// Elman RNN step backward: <c>dpre = dh ⊙ act′</c> from the saved output <paramref name="h"/>
    /// (tanh: <c>1 − h²</c>; relu: <c>h &gt; 0</c>). <paramref name="dpre"/> is <c>(batch × hidden)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                i0 = Bodies<T, Ops512<T>, Vector512<T>>.RnnBackward(relu, dh, h, dpre, n, i0);
            }
            i0 = Bodies<T, Ops256<T>, Vector256<T>>.RnnBackward(relu, dh, h, dpre, n, i0);
        }
        if (i0 < n)
        {
            Bodies<T, OpsScalar<T>, T>.RnnBackward(relu, dh, h, dpre, n, i0);
        }
    }

    /// <summary>
    /// LSTM step: <c>i, f, o = σ(·)</c>, <c>g = tanh(·)</c>, <c>c = f ⊙ c_prev + i ⊙ g</c>, <c>h = o ⊙ tanh(c)</c>,
    /// the pre-activations being <c>xg + (hg + bhh)</c>, each <c>(batch × 4·hidden)</c> (<paramref name="bhh"/> one row).
    /// <paramref name="gates"/> <c>(batch × 4·hidden)</c> receives the activated gates; <paramref name="c"/> and
    /// <paramref name="h"/> are <c>(batch × hidden)</c>.
    /// </summary>
    /// <remarks>
    /// Inference may pass an empty <paramref name="hg"/>: <paramref name="xg"/> then holds both products already summed,
    /// the pre-activations are <c>xg + bhh</c>, and <paramref name="bhh"/> (if any) holds both biases, b_ih + b_hh; and an
    /// empty <paramref name="gates"/>: the activated gates are not stored (nothing is kept for backward).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LstmForward<T>(ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, ReadOnlySpan<T> cPrev,
        Span<T> gates, Span<T> c, Span<T> h, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gh = 4 * hidden;
        var j0 = 0;
        var level = VectorLevel<T>();
        // An empty hg or gates stands for "not used": check the others' lengths in their place.
        if (level != SimdLevel.Scalar && RowsFit(batch, gh, hidden, bhh.Length, xg.Length, hg.IsEmpty ? xg.Length : hg.Length,
                gates.IsEmpty ? xg.Length : gates.Length) &&
            cPrev.Length >= batch * hidden && c.Length >= batch * hidden && h.Length >= batch * hidden)
        {
            if (level == SimdLevel.Avx512)
            {
                j0 = Bodies<T, Ops512<T>, Vector512<T>>.LstmForward(xg, hg, bhh, cPrev, gates, c, h, batch, hidden, j0);
            }
            j0 = Bodies<T, Ops256<T>, Vector256<T>>.LstmForward(xg, hg, bhh, cPrev, gates, c, h, batch, hidden, j0);
        }
        if (j0 < hidden)
        {
            Bodies<T, OpsScalar<T>, T>.LstmForward(xg, hg, bhh, cPrev, gates, c, h, batch, hidden, j0);
        }
    }

    /// <summary>
    /// LSTM step backward. In: <paramref name="dh"/> = ∂L/∂h_t, <paramref name="dc"/> = ∂L/∂c_t from later steps (or
    /// c_n); out: <paramref name="dc"/> = ∂L/∂c_{t−1} and <paramref name="dgates"/> <c>(batch × 4·hidden)</c> = the
    /// gradients of the gate pre-activations. Uses the saved activated <paramref name="gates"/>, <paramref name="c"/>
    /// and <paramref name="cPrev"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                j0 = Bodies<T, Ops512<T>, Vector512<T>>.LstmBackward(dh, dc, gates, c, cPrev, dgates, batch, hidden, j0);
            }
            j0 = Bodies<T, Ops256<T>, Vector256<T>>.LstmBackward(dh, dc, gates, c, cPrev, dgates, batch, hidden, j0);
        }
        if (j0 < hidden)
        {
            Bodies<T, OpsScalar<T>, T>.LstmBackward(dh, dc, gates, c, cPrev, dgates, batch, hidden, j0);
        }
    }

    /// <summary>
    /// GRU step: <c>r = σ(xg_r + hg_r + b_hr)</c>, <c>z = σ(xg_z + hg_z + b_hz)</c>,
    /// <c>n = tanh(xg_n + r ⊙ (hg_n + b_hn))</c>, <c>h = n + z ⊙ (h_prev − n)</c>. <paramref name="gates"/>
    /// <c>(batch × 3·hidden)</c> receives <c>r, z, n</c>; <paramref name="hn"/> <c>(batch × hidden)</c> receives
    /// <c>hg_n + b_hn</c> (needed by backward); <paramref name="h"/> <c>(batch × hidden)</c> the new state.
    /// Inference may pass <paramref name="gates"/> and <paramref name="hn"/> both empty: nothing is kept for backward.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruForward<T>(ReadOnlySpan<T> xg, ReadOnlySpan<T> hg, ReadOnlySpan<T> bhh, ReadOnlySpan<T> hPrev,
        Span<T> gates, Span<T> hn, Span<T> h, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gh = 3 * hidden;
        var j0 = 0;
        var level = VectorLevel<T>();
        if (gates.IsEmpty != hn.IsEmpty)
        {
            throw new ArgumentException("gates and hn are kept together (training) or both left empty (inference).", nameof(hn));
        }
        // Empty gates and hn stand for "not kept": check the others' lengths in their place.
        if (level != SimdLevel.Scalar && RowsFit(batch, gh, hidden, bhh.Length, xg.Length, hg.Length, gates.IsEmpty ? xg.Length : gates.Length) &&
            hPrev.Length >= batch * hidden && (hn.IsEmpty || hn.Length >= batch * hidden) && h.Length >= batch * hidden)
        {
            if (level == SimdLevel.Avx512)
            {
                j0 = Bodies<T, Ops512<T>, Vector512<T>>.GruForward(xg, hg, bhh, hPrev, gates, hn, h, batch, hidden, j0);
            }
            j0 = Bodies<T, Ops256<T>, Vector256<T>>.GruForward(xg, hg, bhh, hPrev, gates, hn, h, batch, hidden, j0);
        }
        if (j0 < hidden)
        {
            Bodies<T, OpsScalar<T>, T>.GruForward(xg, hg, bhh, hPrev, gates, hn, h, batch, hidden, j0);
        }
    }

    /// <summary>
    /// GRU step backward. From <paramref name="dh"/> = ∂L/∂h_t and the saved <paramref name="hPrev"/>,
    /// <paramref name="gates"/> and <paramref name="hn"/>, writes the pre-activation gradients seen by the input
    /// projection, <paramref name="dgi"/> = <c>(dr, dz, dn)</c>, and by the hidden projection, <paramref name="dgh"/> =
    /// <c>(dr, dz, dn ⊙ r)</c> (both <c>batch × 3·hidden</c>), and the direct part of ∂L/∂h_{t−1},
    /// <paramref name="dhPrev"/> = <c>dh ⊙ z</c> <c>(batch × hidden)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                j0 = Bodies<T, Ops512<T>, Vector512<T>>.GruBackward(dh, hPrev, gates, hn, dgi, dgh, dhPrev, batch, hidden, j0);
            }
            j0 = Bodies<T, Ops256<T>, Vector256<T>>.GruBackward(dh, hPrev, gates, hn, dgi, dgh, dhPrev, batch, hidden, j0);
        }
        if (j0 < hidden)
        {
            Bodies<T, OpsScalar<T>, T>.GruBackward(dh, hPrev, gates, hn, dgi, dgh, dhPrev, batch, hidden, j0);
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
