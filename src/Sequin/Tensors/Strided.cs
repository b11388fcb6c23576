namespace Sequin.Tensors;

/// <summary>Walks strided views in row-major order: the one place where view metadata meets flat storage.</summary>
internal static class Strided
{
    /// <summary>Copies the strided view <c>(src, offset, shape, strides)</c> densely into <paramref name="dst"/>.</summary>
    public static void Gather<T>(T[] src, int offset, int[] shape, int[] strides, Span<T> dst)
    {
        var rank = shape.Length;
        var n = ShapeUtil.Numel(shape);
        if (n == 0)
        {
            return;
        }
        if (rank == 0)
        {
            dst[0] = src[offset];
            return;
        }
        if (ShapeUtil.IsContiguous(shape, strides))
        {
            src.AsSpan(offset, n).CopyTo(dst);
            return;
        }
        var inner = shape[rank - 1];
        var innerStride = strides[rank - 1];
        Span<int> idx = stackalloc int[rank];
        var baseOff = offset;
        var o = 0;
        while (true)
        {
            if (innerStride == 1)
            {
                src.AsSpan(baseOff, inner).CopyTo(dst.Slice(o, inner));
            }
            else
            {
                var p = baseOff;
                for (var i = 0; i < inner; i++, p += innerStride)
                {
                    dst[o + i] = src[p];
                }
            }
            o += inner;
            var d = rank - 2;
            while (d >= 0)
            {
                idx[d]++;
                baseOff += strides[d];
                if (idx[d] < shape[d])
                {
                    break;
                }
                baseOff -= strides[d] * shape[d];
                idx[d] = 0;
                d--;
            }
            if (d < 0)
            {
                return;
            }
        }
    }

    /// <summary>Copies dense <paramref name="src"/> into the strided view <c>(dst, offset, shape, strides)</c>.</summary>
    public static void Scatter<T>(ReadOnlySpan<T> src, T[] dst, int offset, int[] shape, int[] strides)
    {
        var rank = shape.Length;
        var n = ShapeUtil.Numel(shape);
        if (n == 0)
        {
            return;
        }
        if (rank == 0)
        {
            dst[offset] = src[0];
            return;
        }
        if (ShapeUtil.IsContiguous(shape, strides))
        {
            src[..n].CopyTo(dst.AsSpan(offset, n));
            return;
        }
        var inner = shape[rank - 1];
        var innerStride = strides[rank - 1];
        Span<int> idx = stackalloc int[rank];
        var baseOff = offset;
        var o = 0;
        while (true)
        {
            var p = baseOff;
            for (var i = 0; i < inner; i++, p += innerStride)
            {
                dst[p] = src[o + i];
            }
            o += inner;
            var d = rank - 2;
            while (d >= 0)
            {
                idx[d]++;
                baseOff += strides[d];
                if (idx[d] < shape[d])
                {
                    break;
                }
                baseOff -= strides[d] * shape[d];
                idx[d] = 0;
                d--;
            }
            if (d < 0)
            {
                return;
            }
        }
    }
}
