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

    /// <summary>Returns both packed matrices to the pool.</summary>
    public void Dispose()
    {
        Wih.Dispose();
        Whh.Dispose();
    }
}
