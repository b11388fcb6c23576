namespace Sequin.Tensors;

public sealed partial class Tensor
{
    private Tensor MakeView(int[] newShape, int[] newStrides, int newOffset, string name, Func<Tensor, Tensor> backward)
        => Record(ViewOf(newShape, newStrides, newOffset), name, [this], g => [backward(g)]);

    private int[] InferShape(int[] sizes, string op)
    {
        var result = (int[])sizes.Clone();
        var infer = -1;
        long known = 1;
        for (var i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (infer >= 0)
                {
                    throw new ArgumentException($"{op}: only one dimension can be inferred (-1); got {ShapeUtil.Format(sizes)}.");
                }
                infer = i;
            }
            else if (result[i] < 0)
            {
                throw new ArgumentException($"{op}: invalid size {result[i]} in {ShapeUtil.Format(sizes)}.");
            }
            else
            {
                known *= result[i];
            }
        }
        if (infer >= 0)
        {
            if (known == 0 || Numel % known != 0)
            {
                throw new ArgumentException(
                    $"{op}: shape {ShapeUtil.Format(sizes)} is invalid for an input of shape {Shape} ({Numel} elements): " +
                    $"{Numel} is not divisible by {known}.");
            }
            result[infer] = (int)(Numel / known);
        }
        else if (known != Numel)
        {
            throw new ArgumentException(
                $"{op}: shape {ShapeUtil.Format(sizes)} ({known} elements) is invalid for an input of shape {Shape} ({Numel} elements).");
        }
        return result;
    }

    /// <summary>
    /// The same elements with a new shape, sharing storage (<c>tensor.view</c>); one size may be −1 to infer it,
    /// e.g. <c>h_n.View(numLayers, numDirections, batch, hidden)</c>. As in PyTorch, a non-contiguous tensor can be
    /// viewed when every group of dimensions that is merged or split is itself laid out contiguously (for example
    /// splitting the last dimension of a transposed tensor); otherwise it throws and <see cref="Reshape"/> is needed.
    /// </summary>
    /// <param name="sizes">The new sizes; their product must equal <see cref="Numel"/>.</param>
    public Tensor View(params int[] sizes)
    {
        var newShape = InferShape(sizes, "view");
        var newStrides = ViewStrides(newShape);
        if (newStrides is null)
        {
            throw new InvalidOperationException(
                $"view: the tensor of shape {Shape} with strides {ShapeUtil.Format(strides)} cannot be viewed as shape " +
                $"{ShapeUtil.Format(newShape)}: at least one dimension spans two non-contiguous subspaces, so the result would need a copy. " +
                "Use Reshape(...) (which copies when needed) or call Contiguous() first.");
        }
        var old = shape;
        return MakeView(newShape, newStrides, Offset, "ViewBackward0", g => g.Reshape(old));
    }

    /// <summary>
    /// Strides that give this tensor's elements the shape <paramref name="newShape"/> without copying, or null when
    /// impossible (PyTorch's <c>computeStride</c>): dimensions are grouped into chunks that are contiguous among
    /// themselves, and each chunk must map onto whole dimensions of the new shape.
    /// </summary>
    private int[]? ViewStrides(int[] newShape)
    {
        if (IsContiguous)
        {
            return ShapeUtil.ContiguousStrides(newShape);
        }
        var newStrides = new int[newShape.Length];
        if (Numel == 0)
        {
            return shape.AsSpan().SequenceEqual(newShape) ? (int[])strides.Clone() : ShapeUtil.ContiguousStrides(newShape);
        }
        var viewD = newShape.Length - 1;
        long chunkBaseStride = strides[^1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (var tensorD = shape.Length - 1; tensorD >= 0; tensorD--)
        {
            tensorNumel *= shape[tensorD];
            if (tensorD == 0 || (shape[tensorD - 1] != 1 && strides[tensorD - 1] != tensorNumel * chunkBaseStride))
            {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
                {
                    newStrides[viewD] = (int)(viewNumel * chunkBaseStride);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel)
                {
                    return null;
                }
                if (tensorD > 0)
                {
                    chunkBaseStride = strides[tensorD - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? newStrides : null;
    }

    /// <summary>
    /// Like <see cref="View"/>, but copies when the tensor cannot be viewed with the new shape (<c>tensor.reshape</c>):
    /// the result shares storage whenever a view is possible.
    /// </summary>
    /// <param name="sizes">The new sizes; one may be −1 to infer it.</param>
    public Tensor Reshape(params int[] sizes)
        => ViewStrides(InferShape(sizes, "reshape")) is null ? Contiguous().View(sizes) : View(sizes);

    /// <summary>Collapses dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one (<c>torch.flatten</c>).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Dim == 0)
        {
            return Reshape(1);
        }
        var s = ShapeUtil.NormalizeDim(startDim, Dim, "flatten");
        var e = ShapeUtil.NormalizeDim(endDim, Dim, "flatten");
        var sizes = new List<int>();
        for (var i = 0; i < s; i++)
        {
            sizes.Add(shape[i]);
        }
        var m = 1;
        for (var i = s; i <= e; i++)
        {
            m *= shape[i];
        }
        sizes.Add(m);
        for (var i = e + 1; i < Dim; i++)
        {
            sizes.Add(shape[i]);
        }
        return Reshape([.. sizes]);
    }

    /// <summary>Swaps two dimensions, sharing storage (<c>tensor.transpose(dim0, dim1)</c>).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var (s, st) = TransposedMeta(dim0, dim1);
        return MakeView(s, st, Offset, "TransposeBackward0", g => g.Transpose(dim0, dim1));
    }

    private (int[] Shape, int[] Strides) TransposedMeta(int dim0, int dim1)
    {
        var a = ShapeUtil.NormalizeDim(dim0, Dim, "transpose");
        var b = ShapeUtil.NormalizeDim(dim1, Dim, "transpose");
        var s = (int[])shape.Clone();
        var st = (int[])strides.Clone();
        (s[a], s[b]) = (s[b], s[a]);
        (st[a], st[b]) = (st[b], st[a]);
        return (s, st);
    }

    /// <summary>
    /// Swaps two dimensions of this tensor object in place (<c>tensor.transpose_</c>), as in the classic
    /// <c>lstm_input.transpose_(1, 0)</c>. Not allowed on a leaf that requires grad (PyTorch forbids it too).
    /// </summary>
    public Tensor Transpose_(int dim0, int dim1)
    {
        if (IsLeaf && RequiresGrad && Autograd.NoGrad.IsGradEnabled)
        {
            throw new InvalidOperationException(
                "Transpose_: a leaf tensor that requires grad cannot be transposed in place. Use Transpose(...) which returns a view.");
        }
        var (s, st) = TransposedMeta(dim0, dim1);
        if (RequiresGrad && Autograd.NoGrad.IsGradEnabled)
        {
            var before = new Tensor(Storage, DType, shape, strides, Offset) { GradFn = GradFn, requiresGrad = true };
            SetViewInPlace(s, st, Offset);
            GradFn = new Autograd.Node("TransposeBackward1", [before], g => [g.Transpose(dim0, dim1)]);
        }
        else
        {
            SetViewInPlace(s, st, Offset);
        }
        return this;
    }

    /// <summary>The transpose of a 2-D tensor (<c>tensor.t()</c>); 0-D and 1-D tensors are returned as they are.</summary>
    public Tensor T()
    {
        if (Dim > 2)
        {
            throw new InvalidOperationException($"T() expects a tensor with at most 2 dimensions; got shape {Shape}. Use Transpose(dim0, dim1) or Permute.");
        }
        return Dim < 2 ? this : Transpose(0, 1);
    }

    /// <summary>Reorders the dimensions, sharing storage (<c>tensor.permute</c>).</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Dim)
        {
            throw new ArgumentException($"permute: expected {Dim} dimensions for a tensor of shape {Shape}; got {ShapeUtil.Format(dims)}.");
        }
        var s = new int[Dim];
        var st = new int[Dim];
        var inverse = new int[Dim];
        var seen = new bool[Dim];
        for (var i = 0; i < Dim; i++)
        {
            var d = ShapeUtil.NormalizeDim(dims[i], Dim, "permute");
            if (seen[d])
            {
                throw new ArgumentException($"permute: dimension {d} repeats in {ShapeUtil.Format(dims)}.");
            }
            seen[d] = true;
            s[i] = shape[d];
            st[i] = strides[d];
            inverse[d] = i;
        }
        return MakeView(s, st, Offset, "PermuteBackward0", g => g.Permute(inverse));
    }

    /// <summary>Moves dimension <paramref name="source"/> to position <paramref name="destination"/> (<c>torch.movedim</c>).</summary>
    public Tensor Movedim(int source, int destination)
    {
        var s = ShapeUtil.NormalizeDim(source, Dim, "movedim");
        var d = ShapeUtil.NormalizeDim(destination, Dim, "movedim");
        var order = Enumerable.Range(0, Dim).Where(i => i != s).ToList();
        order.Insert(d, s);
        return Permute([.. order]);
    }

    /// <summary>Removes every dimension of size 1 (<c>tensor.squeeze()</c>).</summary>
    public Tensor Squeeze()
    {
        var keep = Enumerable.Range(0, Dim).Where(i => shape[i] != 1).ToArray();
        var old = shape;
        return MakeView(keep.Select(i => shape[i]).ToArray(), keep.Select(i => strides[i]).ToArray(), Offset, "SqueezeBackward0", g => g.Reshape(old));
    }

    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1; otherwise returns the tensor unchanged (<c>tensor.squeeze(dim)</c>).</summary>
    public Tensor Squeeze(int dim)
    {
        if (Dim == 0)
        {
            return this;
        }
        var d = ShapeUtil.NormalizeDim(dim, Dim, "squeeze");
        if (shape[d] != 1)
        {
            return this;
        }
        var s = shape.Where((_, i) => i != d).ToArray();
        var st = strides.Where((_, i) => i != d).ToArray();
        return MakeView(s, st, Offset, "SqueezeBackward1", g => g.Unsqueeze(d));
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (<c>tensor.unsqueeze</c>); negative dims count from the end of the result.</summary>
    public Tensor Unsqueeze(int dim)
    {
        var d = ShapeUtil.NormalizeDim(dim, Dim + 1, "unsqueeze");
        var s = shape.ToList();
        var st = strides.ToList();
        s.Insert(d, 1);
        st.Insert(d, d < Dim ? strides[d] * shape[d] : 1);
        return MakeView([.. s], [.. st], Offset, "UnsqueezeBackward0", g => g.Squeeze(d));
    }

    /// <summary>
    /// Elements <paramref name="start"/> .. <paramref name="start"/>+<paramref name="length"/>−1 of dimension
    /// <paramref name="dim"/>, sharing storage (<c>tensor.narrow</c>); a negative start counts from the end.
    /// </summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        var d = ShapeUtil.NormalizeDim(dim, Dim, "narrow");
        var st0 = start < 0 ? start + shape[d] : start;
        if (st0 < 0 || length < 0 || st0 + length > shape[d])
        {
            throw new ArgumentOutOfRangeException(nameof(start),
                $"narrow: start {start} and length {length} do not fit dimension {d} of size {shape[d]} (shape {Shape}).");
        }
        return Slice(d, st0, st0 + length, 1);
    }

    /// <summary>
    /// Elements <c>start:stop:step</c> of dimension <paramref name="dim"/>, sharing storage; bounds are clamped and
    /// negative bounds count from the end, exactly as PyTorch slicing.
    /// </summary>
    public Tensor Slice(int dim, int? start, int? stop, int step = 1)
    {
        var d = ShapeUtil.NormalizeDim(dim, Dim, "slice");
        if (step <= 0)
        {
            throw new ArgumentException($"slice: step must be positive; got {step}.");
        }
        var n = shape[d];
        var a = Math.Clamp(start is { } s0 ? (s0 < 0 ? s0 + n : s0) : 0, 0, n);
        var b = Math.Clamp(stop is { } s1 ? (s1 < 0 ? s1 + n : s1) : n, 0, n);
        var len = b > a ? (b - a + step - 1) / step : 0;
        var s = (int[])shape.Clone();
        var st = (int[])strides.Clone();
        s[d] = len;
        st[d] = strides[d] * step;
        var input = this;
        return MakeView(s, st, Offset + a * strides[d], "SliceBackward0", g =>
        {
            var z = ZerosLike(input, g.DType);
            g.CopyInto(z.ViewOf(s, ShapeUtil.ContiguousStrides(input.shape).Select((v, i) => i == d ? v * step : v).ToArray(),
                a * ShapeUtil.ContiguousStrides(input.shape)[d]));
            return z;
        });
    }

    /// <summary>Index <paramref name="index"/> of dimension <paramref name="dim"/>, removing that dimension (<c>tensor.select</c>); negative indices count from the end.</summary>
    public Tensor Select(int dim, int index)
    {
        var d = ShapeUtil.NormalizeDim(dim, Dim, "select");
        var i = index < 0 ? index + shape[d] : index;
        if ((uint)i >= (uint)shape[d])
        {
            throw new IndexOutOfRangeException(
                $"select: index {index} is out of range for dimension {d} with size {shape[d]} (shape {Shape}).");
        }
        return Slice(d, i, i + 1).Squeeze(d);
    }

    /// <summary>
    /// PyTorch-style indexing: <c>output[^1]</c> is <c>output[-1]</c>, <c>h_n[2..]</c> is <c>ht[2:]</c>,
    /// <c>output[.., .., ..H]</c> is <c>output[:, :, :H]</c>. The result shares storage. Setting copies into the view.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("Indexer")]
    public Tensor this[params TensorIndex[] indices]
    {
        get => Index(indices);
        set => Index(indices).Copy_(value);
    }

    private Tensor Index(TensorIndex[] indices)
    {
        var consumed = indices.Count(i => i.Kind is TensorIndex.IndexKind.Single or TensorIndex.IndexKind.Slice);
        if (consumed > Dim)
        {
            throw new IndexOutOfRangeException($"Too many indices ({consumed}) for a tensor of shape {Shape} ({Dim} dimensions).");
        }
        var t = this;
        var dim = 0;
        foreach (var idx in indices)
        {
            switch (idx.Kind)
            {
                case TensorIndex.IndexKind.Single:
                    t = t.Select(dim, idx.Index);
                    break;
                case TensorIndex.IndexKind.Slice:
                    t = t.Slice(dim, idx.Start, idx.Stop, idx.Step);
                    dim++;
                    break;
                case TensorIndex.IndexKind.NewAxis:
                    t = t.Unsqueeze(dim);
                    dim++;
                    break;
                default:
                    dim += Dim - consumed;
                    break;
            }
        }
        return t;
    }

    /// <summary>Broadcasts to a larger shape without copying (<c>tensor.expand</c>); −1 keeps a size.</summary>
    public Tensor Expand(params int[] sizes)
    {
        var target = (int[])sizes.Clone();
        var lead = target.Length - Dim;
        for (var i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                if (i < lead)
                {
                    throw new ArgumentException($"expand: -1 is not allowed for a new leading dimension ({ShapeUtil.Format(sizes)}).");
                }
                target[i] = shape[i - lead];
            }
        }
        if (target.AsSpan().SequenceEqual(shape))
        {
            return this;
        }
        var st = ShapeUtil.BroadcastStrides(shape, strides, target, "expand");
        var old = shape;
        return MakeView(target, st, Offset, "ExpandBackward0", g => g.SumTo(old));
    }

    /// <summary>A contiguous tensor with the same values: this tensor if already contiguous, else a copy (<c>tensor.contiguous()</c>).</summary>
    public Tensor Contiguous() => IsContiguous ? this : Clone();

    /// <summary>A copy with its own storage, still connected to the graph (<c>tensor.clone()</c>).</summary>
    public Tensor Clone() => Record(DetachedCopy(), "CloneBackward0", [this], g => [g]);

    /// <summary>Concatenates tensors along <paramref name="dim"/> (<c>torch.cat</c>); all other sizes must match.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
        {
            throw new ArgumentException("cat: expected a non-empty list of tensors.");
        }
        var first = tensors[0];
        if (first.Dim == 0)
        {
            throw new ArgumentException("cat: zero-dimensional tensors cannot be concatenated; use Stack, or Unsqueeze(0) each tensor first.");
        }
        var d = ShapeUtil.NormalizeDim(dim, first.Dim, "cat");
        var dtype = first.DType;
        var total = 0;
        for (var k = 0; k < tensors.Count; k++)
        {
            var t = tensors[k];
            if (t.Dim != first.Dim)
            {
                throw new ArgumentException($"cat: tensor {k} has shape {t.Shape} but tensor 0 has shape {first.Shape}; all need {first.Dim} dimensions.");
            }
            for (var i = 0; i < t.Dim; i++)
            {
                if (i != d && t.shape[i] != first.shape[i])
                {
                    throw new ArgumentException(
                        $"cat: sizes must match except in dimension {d}; tensor {k} has shape {t.Shape}, tensor 0 has shape {first.Shape} (mismatch in dimension {i}).");
                }
            }
            dtype = DTypeExtensions.Promote(dtype, t.DType);
            total += t.shape[d];
        }
        var outShape = (int[])first.shape.Clone();
        outShape[d] = total;
        var r = new Tensor(dtype, outShape);
        var offsets = new int[tensors.Count];
        var pos = 0;
        for (var k = 0; k < tensors.Count; k++)
        {
            offsets[k] = pos;
            tensors[k].CopyInto(r.NarrowRaw(d, pos, tensors[k].shape[d]));
            pos += tensors[k].shape[d];
        }
        var inputs = tensors.ToArray();
        return Record(r, "CatBackward0", inputs, g => inputs.Select((t, k) => (Tensor?)g.Narrow(d, offsets[k], t.shape[d]).To(t.DType)).ToArray());
    }

    private Tensor NarrowRaw(int d, int start, int length)
    {
        var s = (int[])shape.Clone();
        s[d] = length;
        return ViewOf(s, strides, Offset + start * strides[d]);
    }

    /// <summary>Stacks equally shaped tensors along a new dimension <paramref name="dim"/> (<c>torch.stack</c>).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
        {
            throw new ArgumentException("stack: expected a non-empty list of tensors.");
        }
        for (var k = 1; k < tensors.Count; k++)
        {
            if (tensors[k].Shape != tensors[0].Shape)
            {
                throw new ArgumentException($"stack: all tensors must have the same shape; tensor 0 is {tensors[0].Shape}, tensor {k} is {tensors[k].Shape}.");
            }
        }
        var d = ShapeUtil.NormalizeDim(dim, tensors[0].Dim + 1, "stack");
        return Cat(tensors.Select(t => t.Unsqueeze(d)).ToArray(), d);
    }

    /// <summary>Splits into <paramref name="chunks"/> views along <paramref name="dim"/>, each of size ceil(n / chunks) except possibly the last (<c>torch.chunk</c>).</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0)
        {
            throw new ArgumentException($"chunk: chunks must be positive; got {chunks}.");
        }
        var d = ShapeUtil.NormalizeDim(dim, Dim, "chunk");
        var size = (shape[d] + chunks - 1) / chunks;
        return Split(Math.Max(size, 1), d);
    }

    /// <summary>Splits into views of <paramref name="splitSize"/> along <paramref name="dim"/>; the last may be smaller (<c>torch.split</c>).</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        if (splitSize <= 0)
        {
            throw new ArgumentException($"split: split size must be positive; got {splitSize}.");
        }
        var d = ShapeUtil.NormalizeDim(dim, Dim, "split");
        var parts = new List<Tensor>();
        for (var start = 0; start < shape[d]; start += splitSize)
        {
            parts.Add(Narrow(d, start, Math.Min(splitSize, shape[d] - start)));
        }
        return [.. parts];
    }

    /// <summary>Splits into views with the given sizes along <paramref name="dim"/> (<c>torch.split</c> with a list); the sizes must sum to the dimension.</summary>
    public Tensor[] Split(int[] splitSizes, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(splitSizes);
        var d = ShapeUtil.NormalizeDim(dim, Dim, "split");
        if (splitSizes.Sum() != shape[d])
        {
            throw new ArgumentException(
                $"split: sizes {ShapeUtil.Format(splitSizes)} sum to {splitSizes.Sum()} but dimension {d} has size {shape[d]} (shape {Shape}).");
        }
        var parts = new Tensor[splitSizes.Length];
        var start = 0;
        for (var i = 0; i < splitSizes.Length; i++)
        {
            parts[i] = Narrow(d, start, splitSizes[i]);
            start += splitSizes[i];
        }
        return parts;
    }

    /// <summary>The slices along <paramref name="dim"/> as a list of views (<c>torch.unbind</c>).</summary>
    public Tensor[] Unbind(int dim = 0)
    {
        var d = ShapeUtil.NormalizeDim(dim, Dim, "unbind");
        return Enumerable.Range(0, shape[d]).Select(i => Select(d, i)).ToArray();
    }
}
