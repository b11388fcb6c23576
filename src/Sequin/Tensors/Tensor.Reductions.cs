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
        return Record(r, "SumBackward1", [this], g => [(keepDim ? g : g.Unsqueeze(d)).Expand(old)]);
    }

    /// <summary>Mean of all elements (<c>tensor.mean()</c>).</summary>
    public Tensor Mean()
    {
        RequireFloat("mean");
        return Sum().Div(Math.Max(Numel, 1) == 0 ? 1 : Numel);
    }

    /// <summary>Mean over dimension <paramref name="dim"/> (<c>tensor.mean(dim, keepdim)</c>).</summary>
    public Tensor Mean(int dim, bool keepDim = false)
    {
        RequireFloat("mean");
        return Sum(dim, keepDim).Div(shape[ShapeUtil.NormalizeDim(dim, Dim, "mean")]);
    }

    private void RequireFloat(string op)
    {
        if (!DType.IsFloatingPoint())
        {
            throw new InvalidOperationException($"{op}: needs a floating-point tensor; got {DType.TorchName()}. Convert with .Float() first.");
        }
    }

    /// <summary>Largest element as a 0-dimensional tensor (<c>tensor.max()</c>); ties share the gradient evenly.</summary>
    public Tensor Max()
    {
        if (Numel == 0)
        {
            throw new InvalidOperationException("max: the tensor is empty; max of an empty tensor is undefined.");
        }
        var values = ToDoubleArray();
        var m = values.Max();
        var r = Scalar(m, DType);
        return Record(r, "MaxBackward1", [this], g =>
        {
            var mask = Eq(r).To(g.DType);
            return [mask.Mul(g.Div(mask.Sum()))];
        });
    }

    /// <summary>Largest values over <paramref name="dim"/> and their indices (int64) (<c>torch.max(input, dim, keepdim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false)
    {
        var d = ShapeUtil.NormalizeDim(dim, Dim, "max");
        if (shape[d] == 0)
        {
            throw new InvalidOperationException($"max: dimension {d} has size 0 (shape {Shape}).");
        }
        var (values, indices) = MaxDimRaw(d, keepDim);
        var input = this;
        var result = Record(values, "MaxBackward0", [this], g =>
        {
            var z = ZerosLike(input, g.DType);
            var gi = (keepDim ? g : g.Unsqueeze(d)).Contiguous();
            var ii = keepDim ? indices : indices.Unsqueeze(d);
            ScatterAlong(z, d, ii, gi);
            return [z];
        });
        return (result, indices);
    }

    /// <summary>Index of the largest element of the flattened tensor (<c>tensor.argmax()</c>), int64.</summary>
    public Tensor Argmax() => Reshape(-1).Max(0).Indices;

    /// <summary>Indices of the largest values over <paramref name="dim"/> (<c>tensor.argmax(dim, keepdim)</c>), int64.</summary>
    public Tensor Argmax(int dim, bool keepDim = false) => Max(dim, keepDim).Indices;

    /// <summary>Smallest element (<c>tensor.min()</c>).</summary>
    public Tensor Min() => Neg().Max().Neg();

    private static double MaxRow(ReadOnlySpan<double> row, out long index)
    {
        var best = row[0];
        index = 0;
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] > best || double.IsNaN(row[i]) && !double.IsNaN(best))
            {
                best = row[i];
                index = i;
            }
        }
        return best;
    }

    private (Tensor Moved, int N, int Outer, int[] OutShape) RowsAlong(int d, bool keepDim)
    {
        var moved = Movedim(d, -1).Detach().Contiguous();
        var n = shape[d];
        var outShape = keepDim ? shape.Select((v, i) => i == d ? 1 : v).ToArray() : shape.Where((_, i) => i != d).ToArray();
        return (moved, n, ShapeUtil.Numel(outShape), outShape);
    }

    /// <summary>Sums each row along <paramref name="d"/> in the tensor's own dtype.</summary>
    private Tensor SumDimRaw(int d, bool keepDim)
    {
        var (moved, n, outer, outShape) = RowsAlong(d, keepDim);
        var r = new Tensor(DType, outShape);
        switch (DType)
        {
            case DType.Float32: SumRows(moved.AsSpan<float>(), n, r.AsSpan<float>()); break;
            case DType.Float64: SumRows(moved.AsSpan<double>(), n, r.AsSpan<double>()); break;
            default: SumRows(moved.AsSpan<long>(), n, r.AsSpan<long>()); break;
        }
        return r;

        void SumRows<T>(ReadOnlySpan<T> src, int len, Span<T> dst)
            where T : unmanaged, INumber<T>
        {
            for (var o = 0; o < outer; o++)
            {
                dst[o] = len == 0 ? T.Zero : TensorPrimitives.Sum(src.Slice(o * len, len));
            }
        }
    }

    /// <summary>Max of each row along <paramref name="d"/>, with the index of the first maximum.</summary>
    private (Tensor Values, Tensor Indices) MaxDimRaw(int d, bool keepDim)
    {
        var (moved, n, outer, outShape) = RowsAlong(d, keepDim);
        var values = new Tensor(DType, outShape);
        var indices = new Tensor(DType.Int64, (int[])outShape.Clone());
        var flat = moved.ToDoubleArray();
        var idx = indices.Data<long>();
        for (var o = 0; o < outer; o++)
        {
            values.SetFlat(o, MaxRow(flat.AsSpan(o * n, n), out idx[o]));
        }
        return (values, indices);
    }

    /// <summary>z[..., index[...], ...] = src along dimension d (index and src have z's shape with size 1 at d).</summary>
    private static void ScatterAlong(Tensor z, int d, Tensor index, Tensor src)
    {
        var zm = z.Movedim(d, -1);
        var n = z.shape[d];
        var outer = z.Numel / Math.Max(n, 1);
        var idx = index.Movedim(d, -1).ToArray<long>();
        var vals = src.Movedim(d, -1).ToDoubleArray();
        var rowShape = zm.shape;
        var counter = new int[rowShape.Length];
        for (var o = 0; o < outer; o++)
        {
            var rem = o;
            for (var k = rowShape.Length - 2; k >= 0; k--)
            {
                counter[k] = rem % rowShape[k];
                rem /= rowShape[k];
            }
            counter[^1] = (int)idx[o];
            zm.SetValue(vals[o], counter);
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

    internal static T SumSpan<T>(ReadOnlySpan<T> x)
        where T : unmanaged, INumber<T> => TensorPrimitives.Sum(x);
}
