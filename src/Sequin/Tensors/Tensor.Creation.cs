namespace Sequin.Tensors;

public sealed partial class Tensor
{
    private static int[] CheckShape(int[] shape, string op)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"{op}: sizes must be non-negative; got {ShapeUtil.Format(shape)}.");
            }
        }
        return (int[])shape.Clone();
    }

    /// <summary>A tensor of zeros (<c>torch.zeros</c>).</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false)
        => new Tensor(dtype, CheckShape(shape, "Zeros")).RequiresGrad_(requiresGrad);

    /// <summary>A float32 tensor of zeros of the given sizes.</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor of ones (<c>torch.ones</c>).</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false)
        => Full(shape, 1.0, dtype, requiresGrad);

    /// <summary>A float32 tensor of ones of the given sizes.</summary>
    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);

    /// <summary>A tensor filled with <paramref name="value"/> (<c>torch.full</c>).</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        var t = new Tensor(dtype, CheckShape(shape, "Full"));
        t.FillRaw(value);
        return t.RequiresGrad_(requiresGrad);
    }

    /// <summary>An uninitialised tensor (<c>torch.empty</c>); Sequin zero-fills it, but do not rely on the contents.</summary>
    public static Tensor Empty(int[] shape, DType dtype = DType.Float32) => new(dtype, CheckShape(shape, "Empty"));

    /// <summary>A 0-dimensional tensor holding <paramref name="value"/> (<c>torch.tensor(value)</c>).</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, bool requiresGrad = false) => Full([], value, dtype, requiresGrad);

    /// <summary>Values from <paramref name="start"/> to <paramref name="end"/> (exclusive) in steps of <paramref name="step"/> (<c>torch.arange</c>).</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Int64)
    {
        if (step == 0 || (end - start) / step < 0 && end != start)
        {
            throw new ArgumentException($"Arange: step {step} cannot go from {start} to {end}.");
        }
        var n = (int)Math.Ceiling((end - start) / step);
        var t = new Tensor(dtype, [Math.Max(n, 0)]);
        for (var i = 0; i < n; i++)
        {
            t.SetFlat(i, start + i * step);
        }
        return t;
    }

    /// <summary>Values 0, 1, ..., <paramref name="end"/> − 1 as int64 (<c>torch.arange(end)</c>).</summary>
    public static Tensor Arange(int end) => Arange(0, end);

    /// <summary>Standard normal samples (<c>torch.randn</c>).</summary>
    public static Tensor Randn(int[] shape, DType dtype = DType.Float32, Generator? generator = null, bool requiresGrad = false)
    {
        var g = generator ?? Generator.Default;
        var t = new Tensor(dtype, CheckShape(shape, "Randn"));
        for (var i = 0; i < t.Numel; i++)
        {
            t.SetFlat(i, g.NextNormal());
        }
        return t.RequiresGrad_(requiresGrad);
    }

    /// <summary>A float32 tensor of standard normal samples from the default generator.</summary>
    public static Tensor Randn(params int[] shape) => Randn(shape, DType.Float32);

    /// <summary>Uniform samples in [<paramref name="low"/>, <paramref name="high"/>) (<c>torch.rand</c>, or <c>uniform_</c> with bounds).</summary>
    public static Tensor Rand(int[] shape, DType dtype = DType.Float32, Generator? generator = null, double low = 0, double high = 1, bool requiresGrad = false)
    {
        var g = generator ?? Generator.Default;
        var t = new Tensor(dtype, CheckShape(shape, "Rand"));
        for (var i = 0; i < t.Numel; i++)
        {
            t.SetFlat(i, low + (high - low) * g.NextDouble());
        }
        return t.RequiresGrad_(requiresGrad);
    }

    /// <summary>A float32 tensor of uniform [0, 1) samples from the default generator.</summary>
    public static Tensor Rand(params int[] shape) => Rand(shape, DType.Float32);

    /// <summary>Uniform integers in [<paramref name="low"/>, <paramref name="high"/>) (<c>torch.randint</c>).</summary>
    public static Tensor RandInt(long low, long high, int[] shape, DType dtype = DType.Int64, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var t = new Tensor(dtype, CheckShape(shape, "RandInt"));
        for (var i = 0; i < t.Numel; i++)
        {
            t.SetFlat(i, g.NextInt64(low, high));
        }
        return t;
    }

    /// <summary>
    /// A float32 tensor from values in row-major order with the given shape (<c>torch.tensor(data).view(shape)</c>).
    /// Without a shape the result is 1-D <c>(data.Length,)</c>, except that a single value gives a 0-dimensional
    /// tensor (shape <c>()</c>, as a safetensors scalar); pass the shape <c>1</c> for a one-element vector.
    /// </summary>
    public static Tensor FromArray(float[] data, params int[] shape) => FromArrayCore(data, DType.Float32, shape);

    /// <summary>A float64 tensor from values in row-major order with the given shape.</summary>
    public static Tensor FromArray(double[] data, params int[] shape) => FromArrayCore(data, DType.Float64, shape);

    /// <summary>An int64 tensor from values in row-major order with the given shape.</summary>
    public static Tensor FromArray(long[] data, params int[] shape) => FromArrayCore(data, DType.Int64, shape);

    private static Tensor FromArrayCore<T>(T[] data, DType dtype, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        shape = shape is null || shape.Length == 0 && data.Length != 1 ? [data.Length] : CheckShape(shape, "FromArray");
        if (ShapeUtil.Numel(shape) != data.Length)
        {
            throw new ArgumentException(
                $"FromArray: shape {ShapeUtil.Format(shape)} holds {ShapeUtil.Numel(shape)} elements but {data.Length} values were given.");
        }
        return new Tensor((T[])data.Clone(), dtype, shape, ShapeUtil.ContiguousStrides(shape), 0);
    }

    /// <summary>Zeros with the shape and dtype of <paramref name="other"/> (<c>torch.zeros_like</c>).</summary>
    public static Tensor ZerosLike(Tensor other, DType? dtype = null) => Zeros(other.ShapeArray, dtype ?? other.DType);

    /// <summary>Ones with the shape and dtype of <paramref name="other"/> (<c>torch.ones_like</c>).</summary>
    public static Tensor OnesLike(Tensor other, DType? dtype = null) => Ones(other.ShapeArray, dtype ?? other.DType);

    /// <summary>A filled tensor with the shape and dtype of <paramref name="other"/> (<c>torch.full_like</c>).</summary>
    public static Tensor FullLike(Tensor other, double value, DType? dtype = null) => Full(other.ShapeArray, value, dtype ?? other.DType);

    /// <summary>Normal samples with the shape and dtype of <paramref name="other"/> (<c>torch.randn_like</c>).</summary>
    public static Tensor RandnLike(Tensor other, Generator? generator = null) => Randn(other.ShapeArray, other.DType, generator);

    /// <summary>Uniform samples with the shape and dtype of <paramref name="other"/> (<c>torch.rand_like</c>).</summary>
    public static Tensor RandLike(Tensor other, Generator? generator = null) => Rand(other.ShapeArray, other.DType, generator);

    /// <summary>An uninitialised tensor with the shape and dtype of <paramref name="other"/> (<c>torch.empty_like</c>).</summary>
    public static Tensor EmptyLike(Tensor other) => Empty(other.ShapeArray, other.DType);

    /// <summary>Writes element <paramref name="i"/> of a contiguous, freshly created tensor.</summary>
    private void SetFlat(int i, double v)
    {
        switch (DType)
        {
            case DType.Float32: Data<float>()[Offset + i] = (float)v; break;
            case DType.Float64: Data<double>()[Offset + i] = v; break;
            default: Data<long>()[Offset + i] = (long)v; break;
        }
    }

    private void FillRaw(double value)
    {
        switch (DType)
        {
            case DType.Float32: FillTyped((float)value); break;
            case DType.Float64: FillTyped(value); break;
            default: FillTyped((long)value); break;
        }
    }

    private void FillTyped<T>(T value)
    {
        var data = Data<T>();
        if (IsContiguous)
        {
            data.AsSpan(Offset, Numel).Fill(value);
            return;
        }
        var dense = new T[Numel];
        dense.AsSpan().Fill(value);
        Strided.Scatter<T>(dense, data, Offset, shape, strides);
    }

    /// <summary>Copies this tensor's values (converted to <paramref name="dst"/>'s dtype, broadcast to its shape) into <paramref name="dst"/>.</summary>
    internal void CopyInto(Tensor dst)
    {
        var src = DType == dst.DType ? this : ConvertRaw(dst.DType);
        switch (dst.DType)
        {
            case DType.Float32: Strided.Scatter<float>(src.DenseBroadcast<float>(dst.shape, "copy_"), dst.Data<float>(), dst.Offset, dst.shape, dst.strides); break;
            case DType.Float64: Strided.Scatter<double>(src.DenseBroadcast<double>(dst.shape, "copy_"), dst.Data<double>(), dst.Offset, dst.shape, dst.strides); break;
            default: Strided.Scatter<long>(src.DenseBroadcast<long>(dst.shape, "copy_"), dst.Data<long>(), dst.Offset, dst.shape, dst.strides); break;
        }
    }

    /// <summary>The elements as a dense row-major span, broadcast to <paramref name="target"/>; no copy when already dense and of that shape.</summary>
    internal ReadOnlySpan<T> DenseBroadcast<T>(int[] target, string op)
    {
        if (IsContiguous && shape.AsSpan().SequenceEqual(target))
        {
            return new ReadOnlySpan<T>(Data<T>(), Offset, Numel);
        }
        var bs = ShapeUtil.BroadcastStrides(shape, strides, target, op);
        var dense = new T[ShapeUtil.Numel(target)];
        Strided.Gather(Data<T>(), Offset, target, bs, dense);
        return dense;
    }

    /// <summary>A contiguous copy converted to <paramref name="dtype"/>, without history.</summary>
    private Tensor ConvertRaw(DType dtype)
    {
        var r = new Tensor(dtype, (int[])shape.Clone());
        switch (DType, dtype)
        {
            case (DType.Float32, DType.Float64): Convert(ToArray<float>(), r.Data<double>()); break;
            case (DType.Float32, DType.Int64): Convert(ToArray<float>(), r.Data<long>()); break;
            case (DType.Float64, DType.Float32): Convert(ToArray<double>(), r.Data<float>()); break;
            case (DType.Float64, DType.Int64): Convert(ToArray<double>(), r.Data<long>()); break;
            case (DType.Int64, DType.Float32): Convert(ToArray<long>(), r.Data<float>()); break;
            case (DType.Int64, DType.Float64): Convert(ToArray<long>(), r.Data<double>()); break;
            default: CopyInto(r); break;
        }
        return r;
    }

    private static void Convert<TFrom, TTo>(TFrom[] src, TTo[] dst)
        where TFrom : System.Numerics.INumberBase<TFrom>
        where TTo : System.Numerics.INumberBase<TTo>
    {
        for (var i = 0; i < src.Length; i++)
        {
            dst[i] = TTo.CreateTruncating(src[i]);
        }
    }

    /// <summary>
    /// This tensor converted to <paramref name="dtype"/> (<c>tensor.to(dtype)</c>); returns this tensor when the
    /// dtype already matches. Differentiable between floating-point types.
    /// </summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType)
        {
            return this;
        }
        var r = ConvertRaw(dtype);
        var from = DType;
        return dtype.IsFloatingPoint() ? Record(r, "ToCopyBackward0", [this], g => [g.To(from)]) : r;
    }

    /// <summary>Shorthand for <c>To(DType.Float64)</c> (<c>tensor.double()</c>).</summary>
    public Tensor Double() => To(DType.Float64);

    /// <summary>Shorthand for <c>To(DType.Float32)</c> (<c>tensor.float()</c>).</summary>
    public Tensor Float() => To(DType.Float32);

    /// <summary>Shorthand for <c>To(DType.Int64)</c> (<c>tensor.long()</c>).</summary>
    public Tensor Long() => To(DType.Int64);
}
