using System.Numerics;
using System.Runtime.CompilerServices;
using Sequin.Autograd;

namespace Sequin.Tensors;

/// <summary>
/// An n-dimensional array of <see cref="DType.Float32"/>, <see cref="DType.Float64"/> or <see cref="DType.Int64"/>
/// elements with reverse-mode automatic differentiation: the C# counterpart of <c>torch.Tensor</c>.
/// </summary>
/// <remarks>
/// A tensor is a view on a flat storage array: <see cref="Shape"/>, <see cref="Strides"/> (in elements) and an
/// offset. Views (<see cref="View"/>, <see cref="Transpose"/>, <see cref="Narrow"/>, indexing, ...) share storage
/// with their base, exactly as in PyTorch. Operations on tensors that require gradients record a
/// <see cref="GradFn"/> so that <see cref="Backward(Tensor?, bool)"/> can compute gradients.
/// </remarks>
public sealed partial class Tensor
{
    private int[] shape;
    private int[] strides;
    private bool requiresGrad;

    internal Tensor(Array storage, DType dtype, int[] shape, int[] strides, int offset)
    {
        Storage = storage;
        DType = dtype;
        this.shape = shape;
        this.strides = strides;
        Offset = offset;
    }

    internal Tensor(DType dtype, int[] shape)
        : this(AllocateStorage(dtype, ShapeUtil.Numel(shape)), dtype, shape, ShapeUtil.ContiguousStrides(shape), 0)
    {
    }

    /// <summary>The flat backing array (<c>float[]</c>, <c>double[]</c> or <c>long[]</c>), shared by views.</summary>
    internal Array Storage { get; }

    /// <summary>Index into <see cref="Storage"/> of element (0, 0, ...).</summary>
    internal int Offset { get; private set; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The shape, e.g. <c>(6, 3, 20)</c> for a (seq_len, batch, hidden) tensor.</summary>
    public Shape Shape => new(shape);

    /// <summary>Strides in elements for each dimension (<c>tensor.stride()</c>).</summary>
    public IReadOnlyList<int> Strides => strides;

    internal int[] ShapeArray => shape;

    internal int[] StrideArray => strides;

    /// <summary>Number of dimensions (<c>tensor.dim()</c>).</summary>
    public int Dim => shape.Length;

    /// <summary>Number of elements (<c>tensor.numel()</c>).</summary>
    public int Numel => ShapeUtil.Numel(shape);

    /// <summary>Size of dimension <paramref name="dim"/>; negative dims count from the end (<c>tensor.size(dim)</c>).</summary>
    public int Size(int dim) => shape[ShapeUtil.NormalizeDim(dim, Dim, "size")];

    /// <summary>Whether elements are laid out densely in row-major order.</summary>
    public bool IsContiguous => ShapeUtil.IsContiguous(shape, strides);

    /// <summary>
    /// Whether gradients are computed for this tensor. Settable on leaves only (tensors created by the user or
    /// <see cref="Detach"/>); results of operations on tensors that require gradients require them too.
    /// </summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (GradFn is not null && !value)
            {
                throw new InvalidOperationException(
                    "RequiresGrad can only be changed on leaf tensors; this tensor was produced by " + GradFn.Name +
                    ". Use Detach() to get a tensor without history.");
            }
            if (value && !DType.IsFloatingPoint())
            {
                throw new InvalidOperationException(
                    $"Only floating-point tensors can require gradients; this tensor is {DType.TorchName()}.");
            }
            requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward(Tensor?, bool)"/>; null until then.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The recorded operation that produced this tensor (<c>tensor.grad_fn</c>), or null for leaves.</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>True for tensors created by the user (no <see cref="GradFn"/>).</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (<c>requires_grad_()</c>).</summary>
    public Tensor RequiresGrad_(bool requires = true)
    {
        RequiresGrad = requires;
        return this;
    }

    /// <summary>A contiguous tensor whose elements are not zeroed: for kernels that write every element.</summary>
    internal static Tensor Uninitialized(int[] shape, DType dtype)
    {
        var numel = ShapeUtil.Numel(shape);
        Array storage = dtype switch
        {
            DType.Float32 => GC.AllocateUninitializedArray<float>(numel),
            DType.Float64 => GC.AllocateUninitializedArray<double>(numel),
            _ => GC.AllocateUninitializedArray<long>(numel),
        };
        return new Tensor(storage, dtype, shape, ShapeUtil.ContiguousStrides(shape), 0);
    }

    internal static Array AllocateStorage(DType dtype, int numel) => dtype switch
    {
        DType.Float32 => new float[numel],
        DType.Float64 => new double[numel],
        _ => new long[numel],
    };

    internal T[] Data<T>() => (T[])Storage;

    /// <summary>
    /// The elements as a span over the storage when the tensor is contiguous; throws otherwise.
    /// Call <see cref="Contiguous"/> first for a view.
    /// </summary>
    public Span<T> AsSpan<T>()
        where T : unmanaged
    {
        CheckElementType<T>();
        if (!IsContiguous)
        {
            throw new InvalidOperationException("AsSpan needs a contiguous tensor; call Contiguous() first.");
        }
        return new Span<T>((T[])Storage, Offset, Numel);
    }

    internal void CheckElementType<T>()
    {
        var expected = DType switch
        {
            DType.Float32 => typeof(float),
            DType.Float64 => typeof(double),
            _ => typeof(long),
        };
        if (typeof(T) != expected)
        {
            throw new InvalidOperationException(
                $"This tensor holds {DType.TorchName()} ({expected.Name}); it was accessed as {typeof(T).Name}.");
        }
    }

    /// <summary>
    /// Copies the elements out in row-major order (<c>tensor.tolist()</c> flattened).
    /// <typeparamref name="T"/> must match <see cref="DType"/>.
    /// </summary>
    public T[] ToArray<T>()
        where T : unmanaged
    {
        CheckElementType<T>();
        var result = new T[Numel];
        Strided.Gather(Data<T>(), Offset, shape, strides, result);
        return result;
    }

    /// <summary>The elements converted to double, in row-major order.</summary>
    public double[] ToDoubleArray() => DType switch
    {
        DType.Float32 => Array.ConvertAll(ToArray<float>(), v => (double)v),
        DType.Float64 => ToArray<double>(),
        _ => Array.ConvertAll(ToArray<long>(), v => (double)v),
    };

    /// <summary>The value of a one-element tensor (<c>tensor.item()</c>), as double.</summary>
    public double Item()
    {
        if (Numel != 1)
        {
            throw new InvalidOperationException(
                $"Item() needs a tensor with exactly one element; this tensor has shape {Shape} ({Numel} elements).");
        }
        return DType switch
        {
            DType.Float32 => Data<float>()[Offset],
            DType.Float64 => Data<double>()[Offset],
            _ => Data<long>()[Offset],
        };
    }

    /// <summary>The value of a one-element tensor as <typeparamref name="T"/>.</summary>
    public T Item<T>()
        where T : unmanaged, INumber<T>
    {
        var value = Item();
        // int64 is read directly so that values beyond 2^53 survive.
        return DType == DType.Int64 ? T.CreateChecked(Data<long>()[Offset]) : T.CreateChecked(value);
    }

    /// <summary>Reads one element at the given indices (negative indices count from the end).</summary>
    public double GetValue(params int[] indices)
    {
        var off = ElementOffset(indices);
        return DType switch
        {
            DType.Float32 => Data<float>()[off],
            DType.Float64 => Data<double>()[off],
            _ => Data<long>()[off],
        };
    }

    /// <summary>Writes one element at the given indices (negative indices count from the end).</summary>
    public void SetValue(double value, params int[] indices)
    {
        var off = ElementOffset(indices);
        switch (DType)
        {
            case DType.Float32: Data<float>()[off] = (float)value; break;
            case DType.Float64: Data<double>()[off] = value; break;
            default: Data<long>()[off] = (long)value; break;
        }
    }

    private int ElementOffset(int[] indices)
    {
        if (indices.Length != Dim)
        {
            throw new ArgumentException($"Expected {Dim} indices for a tensor of shape {Shape}; got {indices.Length}.");
        }
        var off = Offset;
        for (var d = 0; d < indices.Length; d++)
        {
            var i = indices[d] < 0 ? indices[d] + shape[d] : indices[d];
            if ((uint)i >= (uint)shape[d])
            {
                throw new IndexOutOfRangeException(
                    $"Index {indices[d]} is out of range for dimension {d} with size {shape[d]} (shape {Shape}).");
            }
            off += i * strides[d];
        }
        return off;
    }

    /// <summary>Replaces this tensor's view metadata in place (used by the in-place view operations such as <see cref="Transpose_"/>).</summary>
    internal void SetViewInPlace(int[] newShape, int[] newStrides, int newOffset)
    {
        shape = newShape;
        strides = newStrides;
        Offset = newOffset;
    }

    /// <summary>A new tensor sharing storage with this one, with the given view metadata and no history.</summary>
    internal Tensor ViewOf(int[] newShape, int[] newStrides, int newOffset) => new(Storage, DType, newShape, newStrides, newOffset);

    internal bool SharesStorageWith(Tensor other) => ReferenceEquals(Storage, other.Storage);

    /// <summary>Whether <paramref name="other"/> is this same object (reference identity).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Is(Tensor other) => ReferenceEquals(this, other);
}
