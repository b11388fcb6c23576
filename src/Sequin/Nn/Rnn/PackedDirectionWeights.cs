using System.Numerics;
using Sequin.Kernels;
using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>Packs weight matrices into the panel layout of the packed matrix products.</summary>
internal static class WeightPacking
{
    /// <summary>
    /// Packs W <c>(rows × cols)</c> as the right-hand operand of <c>x · Wᵀ</c> (<c>k = cols</c>, <c>n = rows</c>): the
    /// same panels a recurrent layer call packs for itself.
    /// </summary>
    public static PackedMatrix<T> PackTransposed<T>(Tensor w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = w.Contiguous();
        int rows = t.Size(0), cols = t.Size(1);
        return PackedMatrix<T>.Pack(true, cols, rows, t.Data<T>().AsSpan(t.Offset, t.Numel), cols);
    }
}

/// <summary>
/// W_ih and W_hh of one direction of a recurrent layer, packed once by <see cref="RNNBase.PackWeights"/> for the
/// inference calls that would otherwise pack both at every call. The layer uses them only when it would pack the
/// weights itself, and only with the instruction set they were packed for, so the numbers are the same bit for bit.
/// </summary>
internal sealed class PackedDirectionWeights<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private PackedDirectionWeights(PackedMatrix<T> wih, PackedMatrix<T> whh)
    {
        Wih = wih;
        Whh = whh;
    }

    /// <summary>W_ih packed as the operand of <c>x · W_ihᵀ</c>: <c>k = input</c>, <c>n = gates · hidden</c>.</summary>
    public PackedMatrix<T> Wih { get; }

    /// <summary>W_hh packed as the operand of <c>h · W_hhᵀ</c>: <c>k = proj_size or hidden</c>, <c>n = gates · hidden</c>.</summary>
    public PackedMatrix<T> Whh { get; }

    /// <summary>Packs both matrices of <paramref name="weights"/>.</summary>
    public static PackedDirectionWeights<T> Pack(DirectionWeights weights)
    {
        var wih = WeightPacking.PackTransposed<T>(weights.Wih);
        try
        {
            return new PackedDirectionWeights<T>(wih, WeightPacking.PackTransposed<T>(weights.Whh));
        }
        catch
        {
            wih.Dispose();
            throw;
        }
    }

    private SplitPacks? split;

    /// <summary>
    /// The per-thread parts of W_hh and W_ih for a unit split into <paramref name="parts"/> (small batches, see
    /// FusedRecurrentLayer.UnitSplitMaxBatch): slots that each part fills with its own rows in its first call and
    /// later calls reuse. A different part count replaces them.
    /// </summary>
    public SplitPacks Split(int parts)
    {
        if (split is null || split.Whh.Length != parts)
        {
            split?.Dispose();
            split = new SplitPacks(parts);
        }
        return split;
    }

    /// <summary>Returns the packed matrices to the pool.</summary>
    public void Dispose()
    {
        Wih.Dispose();
        Whh.Dispose();
        split?.Dispose();
        split = null;
    }

    /// <summary>Per part of a unit split: its units' rows of W_hh and W_ih, gate after gate, packed (null until the part packs them).</summary>
    internal sealed class SplitPacks(int parts) : IDisposable
    {
        /// <summary>[part]: the part's rows of W_hh, packed.</summary>
        public PackedMatrix<T>?[] Whh { get; } = new PackedMatrix<T>?[parts];

        /// <summary>[part]: the part's rows of W_ih, packed.</summary>
        public PackedMatrix<T>?[] Wih { get; } = new PackedMatrix<T>?[parts];

        public void Dispose()
        {
            for (var p = 0; p < Whh.Length; p++)
            {
                Whh[p]?.Dispose();
                Wih[p]?.Dispose();
                Whh[p] = Wih[p] = null;
            }
        }
    }
}
