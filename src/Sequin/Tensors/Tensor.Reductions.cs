using System.Numerics;
using System.Numerics.Tensors;

namespace Sequin.Tensors;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements as a 0-dimensional tensor (<c>tensor.sum()</c>).</summary>
    public Tensor Sum()
    {
        var r = new Tensor(DType, []);
        switch (DType)
        {
            case DType.Float32: r.Data<float>()[0] = TensorPrimitives.Sum(DenseBroadcast<float>(shape, "sum")); break;
            case DType.Float64: r.Data<double>()[0] = TensorPrimitives.Sum(DenseBroadcast<double>(shape, "sum")); break;
            default: r.Data<long>()[0] = TensorPrimitives.Sum(DenseBroadcast<long>(shape, "sum")); break;
        }
        var old = shape;
        return Record(r, "SumBackward0", [this], g => [g.Expand(old)]);
    }

    /// <summary>Sum over dimension <paramref name="dim"/> (<c>tensor.sum(dim, keepdim)</c>).</summary>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        var d = ShapeUtil.NormalizeDim(dim, Dim, "sum");
        var r = SumDimRaw(d, keepDim);
        var old = shape;
        return Record(r, "SumBackward1", [this], g => [(keepDim || old.Length == 0 ? g : g.Unsqueeze(d)).Expand(old)]);
    }

    /// <summary>Sum over several dimensions (<c>tensor.sum(dims, keepdim)</c>), e.g. <c>Sum([0, 1])</c> of (T, B, H) gives (H,).</summary>
    /// <param name="dims">Distinct dimensions to reduce; negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced dimensions with size 1.</param>
    public Tensor Sum(int[] dims, bool keepDim = false)
    {
        var ds = NormalizeDims(dims, "sum");
        var t = this;
        foreach (var d in ds.OrderDescending())
        {
            t = t.Sum(d, keepDim);
        }
        return t;
    }

    /// <summary>Mean over several dimensions (<c>tensor.mean(dims, keepdim)</c>).</summary>
    /// <param name="dims">Distinct dimensions to reduce; negative values count from the end.</param>
    /// <param name="keepDim">Keep the reduced dimensions with size 1.</param>
    public Tensor Mean(int[] dims, bool keepDim = false)
    {
        RequireFloat("mean");
        var ds = NormalizeDims(dims, "mean");
        var count = ds.Aggregate(1L, (n, d) => n * (Dim == 0 ? 1 : shape[d]));
        return Sum(ds, keepDim).Div(count);
    }

    private int[] NormalizeDims(int[] dims, string op)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var ds = dims.Select(d => ShapeUtil.NormalizeDim(d, Dim, op)).ToArray();
        if (ds.Distinct().Count() != ds.Length)
        {
            throw new ArgumentException($"{op}: dimensions {ShapeUtil.Format(dims)} repeat a dimension of the tensor of shape {Shape}.");
        }
        return ds;
    }

    /// <summary>Mean of all elements (<c>tensor.mean()</c>).</summary>
    public Tensor Mean()
    {
        RequireFloat("mean");
        return Sum().Div(Numel);
    }

    /// <summary>Mean over dimension <paramref name="dim"/> (<c>tensor.mean(dim, keepdim)</c>).</summary>
    public Tensor Mean(int dim, bool keepDim = false)
    {
        RequireFloat("mean");
        return Sum(dim, keepDim).Div(Dim == 0 ? 1 : shape[ShapeUtil.NormalizeDim(dim, Dim, "mean")]);
    }

    private void RequireFloat(string op)
    {
        if (!DType.IsFloatingPoint())
        {
            throw new InvalidOperationException($"{op}: needs a floating-point tensor; got {DType.TorchName()}. Convert with .Float() first.");
        }
    }

    /// <summary>Largest element as a 0-dimensional tensor (<c>tensor.max()</c>); NaN if any element is NaN; ties share the gradient evenly.</summary>
    public Tensor Max() => Extreme(max: true);

    /// <summary>Smallest element as a 0-dimensional tensor (<c>tensor.min()</c>); NaN if any element is NaN; ties share the gradient evenly.</summary>
    public Tensor Min() => Extreme(max: false);

    private Tensor Extreme(bool max)
    {
        var op = max ? "max" : "min";
        if (Numel == 0)
        {
            throw new InvalidOperationException(
                $"{op}: the tensor of shape {Shape} is empty; {op}() of an empty tensor is undefined. Use {op}(dim) on a non-empty dimension.");
        }
        var x = Contiguous();
        var r = new Tensor(DType, []);
        switch (DType)
        {
            case DType.Float32: r.Data<float>()[0] = ExtremeRow(x.DenseSpan<float>(), max, out _); break;
            case DType.Float64: r.Data<double>()[0] = ExtremeRow(x.DenseSpan<double>(), max, out _); break;
            default: r.Data<long>()[0] = ExtremeRow(x.DenseSpan<long>(), max, out _); break;
        }
        return Record(r, max ? "MaxBackward1" : "MinBackward1", [this], g =>
        {
            var mask = Eq(r).To(g.DType);
            return [mask.Mul(g.Div(mask.Sum()))];
        });
    }

    /// <summary>Largest values over <paramref name="dim"/> and the index of the first largest (int64) (<c>torch.max(input, dim, keepdim)</c>).</summary>
    /// <param name="dim">The dimension to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep <paramref name="dim"/> with size 1 instead of removing it.</param>
    /// <returns>Values and Indices, both of this shape with <paramref name="dim"/> removed (or 1 when <paramref name="keepDim"/>).</returns>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => ExtremeDim(dim, keepDim, max: true);

    /// <summary>Smallest values over <paramref name="dim"/> and the index of the first smallest (int64) (<c>torch.min(input, dim, keepdim)</c>).</summary>
    /// <param name="dim">The dimension to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep <paramref name="dim"/> with size 1 instead of removing it.</param>
    /// <returns>Values and Indices, both of this shape with <paramref name="dim"/> removed (or 1 when <paramref name="keepDim"/>).</returns>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => ExtremeDim(dim, keepDim, max: false);

    private (Tensor Values, Tensor Indices) ExtremeDim(int dim, bool keepDim, bool max)
    {
        var op = max ? "max" : "min";
        var d = ShapeUtil.NormalizeDim(dim, Dim, op);
        if (Dim > 0 && shape[d] == 0)
        {
            throw new InvalidOperationException($"{op}: cannot reduce dimension {d} of size 0 (shape {Shape}); the result would be undefined.");
        }
        var (values, indices) = ExtremeDimRaw(d, keepDim, max);
        var input = this;
        var result = Record(values, max ? "MaxBackward0" : "MinBackward0", [this], g =>
        {
            var z = ZerosLike(input, g.DType);
            var gi = (keepDim || input.Dim == 0 ? g : g.Unsqueeze(d)).Contiguous();
            var ii = keepDim || input.Dim == 0 ? indices : indices.Unsqueeze(d);
            ScatterAlong(z, d, ii, gi);
            return [z];
        });
        return (result, indices);
    }

    /// <summary>Index of the largest element of the flattened tensor (<c>tensor.argmax()</c>), int64.</summary>
    public Tensor Argmax() => Reshape(-1).Max(0).Indices;

    /// <summary>Indices of the largest values over <paramref name="dim"/> (<c>tensor.argmax(dim, keepdim)</c>), int64.</summary>
    /// <param name="dim">The dimension to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep <paramref name="dim"/> with size 1.</param>
    public Tensor Argmax(int dim, bool keepDim = false) => Max(dim, keepDim).Indices;

    /// <summary>Index of the smallest element of the flattened tensor (<c>tensor.argmin()</c>), int64.</summary>
    public Tensor Argmin() => Reshape(-1).Min(0).Indices;

    /// <summary>Indices of the smallest values over <paramref name="dim"/> (<c>tensor.argmin(dim, keepdim)</c>), int64.</summary>
    /// <param name="dim">The dimension to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep <paramref name="dim"/> with size 1.</param>
    public Tensor Argmin(int dim, bool keepDim = false) => Min(dim, keepDim).Indices;

    /// <summary>The first extreme element of a strided row (NaN wins, as in PyTorch) and its position.</summary>
    private static T ExtremeRow<T>(ReadOnlySpan<T> src, bool max, out long index, int start = 0, int count = -1, int stride = 1)
        where T : unmanaged, INumber<T>
    {
        if (count < 0)
        {
            count = src.Length;
        }
        var best = src[start];
        index = 0;
        if (T.IsNaN(best))
        {
            return best;
        }
        var p = start + stride;
        for (var i = 1; i < count; i++, p += stride)
        {
            var v = src[p];
            if (T.IsNaN(v))
            {
                index = i;
                return v;
            }
            if (max ? v > best : v < best)
            {
                best = v;
                index = i;
            }
        }
        return best;
    }

    /// <summary>This tensor (made contiguous) seen as (outer, n, inner) around dimension <paramref name="d"/>, and the reduced shape.</summary>
    private (Tensor Dense, int Outer, int N, int Inner, int[] OutShape) ReduceLayout(int d, bool keepDim)
    {
        var dense = Contiguous();
        if (Dim == 0)
        {
            return (dense, 1, 1, 1, []);
        }
        var n = shape[d];
        var outer = ShapeUtil.Numel(shape.AsSpan(0, d));
        var inner = ShapeUtil.Numel(shape.AsSpan(d + 1));
        var outShape = keepDim ? shape.Select((v, i) => i == d ? 1 : v).ToArray() : shape.Where((_, i) => i != d).ToArray();
        return (dense, outer, n, inner, outShape);
    }

    /// <summary>Sums along <paramref name="d"/> in the tensor's own dtype: whole rows are added with vector instructions, no transposed copy.</summary>
    private Tensor SumDimRaw(int d, bool keepDim)
    {
        var (dense, outer, n, inner, outShape) = ReduceLayout(d, keepDim);
        var r = new Tensor(DType, outShape);
        switch (DType)
        {
            case DType.Float32: SumRows(dense.DenseSpan<float>(), r.AsSpan<float>()); break;
            case DType.Float64: SumRows(dense.DenseSpan<double>(), r.AsSpan<double>()); break;
            default: SumRows(dense.DenseSpan<long>(), r.AsSpan<long>()); break;
        }
        return r;

        void SumRows<T>(ReadOnlySpan<T> src, Span<T> dst)
            where T : unmanaged, INumber<T>
        {
            for (var o = 0; o < outer; o++)
            {
                var row = dst.Slice(o * inner, inner);
                if (inner == 1)
                {
                    row[0] = n == 0 ? T.Zero : TensorPrimitives.Sum(src.Slice(o * n, n));
                    continue;
                }
                row.Clear();
                for (var k = 0; k < n; k++)
                {
                    TensorPrimitives.Add(row, src.Slice((o * n + k) * inner, inner), row);
                }
            }
        }
    }

    /// <summary>Max or min along <paramref name="d"/>, with the index of the first extreme element.</summary>
    private (Tensor Values, Tensor Indices) ExtremeDimRaw(int d, bool keepDim, bool max)
    {
        var (dense, outer, n, inner, outShape) = ReduceLayout(d, keepDim);
        var values = new Tensor(DType, outShape);
        var indices = new Tensor(DType.Int64, (int[])outShape.Clone());
        var idx = indices.Data<long>();
        switch (DType)
        {
            case DType.Float32: Rows(dense.DenseSpan<float>(), values.AsSpan<float>()); break;
            case DType.Float64: Rows(dense.DenseSpan<double>(), values.AsSpan<double>()); break;
            default: Rows(dense.DenseSpan<long>(), values.AsSpan<long>()); break;
        }
        return (values, indices);

        void Rows<T>(ReadOnlySpan<T> src, Span<T> dst)
            where T : unmanaged, INumber<T>
        {
            for (var o = 0; o < outer; o++)
            {
                for (var j = 0; j < inner; j++)
                {
                    dst[o * inner + j] = ExtremeRow(src, max, out idx[o * inner + j], o * n * inner + j, n, inner);
                }
            }
        }
    }

    /// <summary>z[..., index[...], ...] = src along dimension d (index and src have z's shape with size 1 at d).</summary>
    private static void ScatterAlong(Tensor z, int d, Tensor index, Tensor src)
    {
        if (z.Dim == 0)
        {
            src.CopyInto(z);
            return;
        }
        var n = z.shape[d];
        var outer = ShapeUtil.Numel(z.shape.AsSpan(0, d));
        var inner = ShapeUtil.Numel(z.shape.AsSpan(d + 1));
        var idx = index.Contiguous().ToArray<long>();
        switch (z.DType)
        {
            case DType.Float32: Scatter(z.AsSpan<float>(), src.Contiguous().DenseSpan<float>()); break;
            default: Scatter(z.AsSpan<double>(), src.Contiguous().DenseSpan<double>()); break;
        }

        void Scatter<T>(Span<T> dst, ReadOnlySpan<T> vals)
        {
            for (var o = 0; o < outer; o++)
            {
                for (var j = 0; j < inner; j++)
                {
                    var k = o * inner + j;
                    dst[((o * n) + (int)idx[k]) * inner + j] = vals[k];
                }
            }
        }
    }

    /// <summary>Sums a broadcast gradient back down to <paramref name="target"/> (the reverse of broadcasting).</summary>
    internal Tensor SumTo(int[] target)
    {
        if (shape.AsSpan().SequenceEqual(target))
        {
            return this;
        }
        var t = this;
        while (t.Dim > target.Length)
        {
            t = t.Sum(0);
        }
        for (var i = 0; i < target.Length; i++)
        {
            if (target[i] == 1 && t.shape[i] != 1)
            {
                t = t.Sum(i, keepDim: true);
            }
        }
        return t;
    }
}
