namespace Sequin.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Gathers the slices <c>index[0], index[1], ...</c> of dimension <paramref name="dim"/> into a new tensor
    /// (<c>torch.index_select</c>). The result has this tensor's shape with dimension <paramref name="dim"/> replaced by
    /// <c>index.numel()</c>; e.g. input <c>(T, B, H)</c>, dim 1, index <c>(K,)</c> → <c>(T, K, H)</c>. Indices may repeat
    /// and negative indices are rejected, as in PyTorch. Differentiable: the backward pass adds each gradient slice back
    /// into the row it was taken from (<c>index_add</c>), so repeated indices accumulate.
    /// </summary>
    /// <param name="dim">The dimension to index; negative counts from the end.</param>
    /// <param name="index">int64 indices, 0-D or 1-D.</param>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index.DType != DType.Int64)
        {
            throw new ArgumentException($"index_select: index must be an int64 tensor; got {index.DType.TorchName()}. Convert it with Long().", nameof(index));
        }
        if (index.Dim > 1)
        {
            throw new ArgumentException($"index_select: index must be 0-D or 1-D; got shape {index.Shape}. Flatten it first.", nameof(index));
        }
        var rank = Math.Max(Dim, 1);
        var d = ShapeUtil.NormalizeDim(dim, rank, "index_select");
        var src = Dim == 0 ? Reshape(1) : this;
        var size = src.shape[d];
        var idx = index.ToArray<long>();
        var rows = new int[idx.Length];
        for (var i = 0; i < idx.Length; i++)
        {
            if (idx[i] < 0 || idx[i] >= size)
            {
                throw new IndexOutOfRangeException(
                    $"index_select: index {idx[i]} (position {i}) is out of range for dimension {d} of size {size} (input shape {Shape}); " +
                    $"valid indices are 0..{size - 1}.");
            }
            rows[i] = (int)idx[i];
        }

        var outShape = (int[])src.shape.Clone();
        outShape[d] = rows.Length;
        var result = new Tensor(DType, outShape);
        for (var i = 0; i < rows.Length; i++)
        {
            src.NarrowRaw(d, rows[i], 1).CopyInto(result.NarrowRaw(d, i, 1));
        }
        if (Dim == 0)
        {
            result = result.ViewOf(index.Dim == 0 ? [] : [rows.Length], index.Dim == 0 ? [] : [1], 0);
        }

        var inShape = (int[])shape.Clone();
        var scalarInput = Dim == 0;
        return Record(result, "IndexSelectBackward0", [this], g => [IndexAdd(g, d, rows, inShape, scalarInput)]);
    }

    /// <summary>Zeros of <paramref name="inShape"/> with <c>g[.., i, ..]</c> added into slice <c>rows[i]</c> of dimension <paramref name="d"/>; differentiable in <paramref name="g"/>.</summary>
    internal static Tensor IndexAdd(Tensor g, int d, int[] rows, int[] inShape, bool scalarInput)
    {
        var gs = scalarInput ? g.Reshape(rows.Length) : g;
        var fullShape = scalarInput ? [1] : inShape;
        var dense = new Tensor(g.DType, (int[])fullShape.Clone());
        var gc = gs.Contiguous();
        for (var i = 0; i < rows.Length; i++)
        {
            var dst = dense.NarrowRaw(d, rows[i], 1);
            var slice = gc.NarrowRaw(d, i, 1);
            switch (g.DType)
            {
                case DType.Float32: AddInto<float>(slice, dst); break;
                case DType.Float64: AddInto<double>(slice, dst); break;
                default: AddInto<long>(slice, dst); break;
            }
        }
        var result = scalarInput ? dense.ViewOf([], [], 0) : dense;
        // Double backward: the gradient of index_add with respect to g is index_select of the upstream gradient.
        var idxTensor = FromArray(Array.ConvertAll(rows, r => (long)r));
        return Record(result, "IndexAddBackward0", [g], gg =>
        {
            var s = scalarInput ? gg.Reshape(1) : gg;
            var picked = s.IndexSelect(d, idxTensor);
            return [scalarInput ? picked.Reshape(g.ShapeArray) : picked];
        });
    }

    private static void AddInto<T>(Tensor src, Tensor dst)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        var a = src.ToArray<T>();
        var b = dst.ToArray<T>();
        for (var i = 0; i < a.Length; i++)
        {
            b[i] += a[i];
        }
        Strided.Scatter<T>(b, dst.Data<T>(), dst.Offset, dst.shape, dst.strides);
    }
}
