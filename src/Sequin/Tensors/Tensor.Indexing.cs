using System.Numerics;

namespace Sequin.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Gathers the slices <c>index[0], index[1], ...</c> of dimension <paramref name="dim"/> into a new tensor
    /// (<c>torch.index_select</c>). The result has this tensor's shape with dimension <paramref name="dim"/> replaced by
    /// <c>index.numel()</c>; e.g. input <c>(T, B, H)</c>, dim 1, index <c>(K,)</c> → <c>(T, K, H)</c>. Indices may repeat
    /// and negative indices are rejected, as in PyTorch. Differentiable: the backward pass adds each gradient slice back
    /// into the slice it was taken from (<c>index_add</c>), so repeated indices accumulate.
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
        var scalarInput = Dim == 0;
        var d = ShapeUtil.NormalizeDim(dim, Math.Max(Dim, 1), "index_select");
        var srcShape = scalarInput ? [1] : shape;
        var size = srcShape[d];
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

        var outShape = (int[])srcShape.Clone();
        outShape[d] = rows.Length;
        var src = IsContiguous ? this : DetachedCopy();
        var result = new Tensor(DType, outShape);
        var (outer, inner) = OuterInner(srcShape, d);
        switch (DType)
        {
            case DType.Float32: GatherRows(src.Data<float>(), src.Offset, result.Data<float>(), rows, outer, size, inner); break;
            case DType.Float64: GatherRows(src.Data<double>(), src.Offset, result.Data<double>(), rows, outer, size, inner); break;
            default: GatherRows(src.Data<long>(), src.Offset, result.Data<long>(), rows, outer, size, inner); break;
        }
        if (scalarInput)
        {
            result = result.ViewOf(index.Dim == 0 ? [] : [rows.Length], index.Dim == 0 ? [] : [1], 0);
        }
        var inShape = (int[])shape.Clone();
        return Record(result, "IndexSelectBackward0", [this], g => [IndexAdd(g, d, rows, inShape, scalarInput)]);
    }

    private static (int Outer, int Inner) OuterInner(int[] shape, int d)
    {
        var outer = 1;
        for (var i = 0; i < d; i++)
        {
            outer *= shape[i];
        }
        var inner = 1;
        for (var i = d + 1; i < shape.Length; i++)
        {
            inner *= shape[i];
        }
        return (outer, inner);
    }

    private static void GatherRows<T>(T[] src, int srcOffset, T[] dst, int[] rows, int outer, int size, int inner)
    {
        var o = 0;
        for (var a = 0; a < outer; a++)
        {
            var baseSrc = srcOffset + a * size * inner;
            foreach (var r in rows)
            {
                Array.Copy(src, baseSrc + r * inner, dst, o, inner);
                o += inner;
            }
        }
    }

    private static void ScatterAddRows<T>(T[] src, int srcOffset, T[] dst, int[] rows, int outer, int size, int inner)
        where T : unmanaged, INumber<T>
    {
        var o = srcOffset;
        for (var a = 0; a < outer; a++)
        {
            var baseDst = a * size * inner;
            foreach (var r in rows)
            {
                var s = src.AsSpan(o, inner);
                var t = dst.AsSpan(baseDst + r * inner, inner);
                for (var i = 0; i < inner; i++)
                {
                    t[i] += s[i];
                }
                o += inner;
            }
        }
    }

    /// <summary>
    /// Zeros of <paramref name="inShape"/> with slice i of <paramref name="g"/> (along dimension <paramref name="d"/>)
    /// added into slice <c>rows[i]</c> (<c>index_add</c>): the backward of <see cref="IndexSelect"/>. Differentiable in
    /// <paramref name="g"/>; its own backward is <see cref="IndexSelect"/> again.
    /// </summary>
    internal static Tensor IndexAdd(Tensor g, int d, int[] rows, int[] inShape, bool scalarInput)
    {
        var fullShape = scalarInput ? [1] : inShape;
        var dense = new Tensor(g.DType, (int[])fullShape.Clone());
        var gc = g.IsContiguous ? g : g.DetachedCopy();
        var (outer, inner) = OuterInner(fullShape, d);
        var size = fullShape[d];
        switch (g.DType)
        {
            case DType.Float32: ScatterAddRows(gc.Data<float>(), gc.Offset, dense.Data<float>(), rows, outer, size, inner); break;
            case DType.Float64: ScatterAddRows(gc.Data<double>(), gc.Offset, dense.Data<double>(), rows, outer, size, inner); break;
            default: ScatterAddRows(gc.Data<long>(), gc.Offset, dense.Data<long>(), rows, outer, size, inner); break;
        }
        var result = scalarInput ? dense.ViewOf([], [], 0) : dense;
        var idxTensor = FromArray(Array.ConvertAll(rows, r => (long)r));
        var gShape = g.ShapeArray;
        return Record(result, "IndexAddBackward0", [g], gg =>
        {
            var picked = (scalarInput ? gg.Reshape(1) : gg).IndexSelect(d, idxTensor);
            return [picked.Reshape(gShape)];
        });
    }
}
