namespace Sequin.Tensors;

/// <summary>
/// One entry of a tensor index, as in PyTorch's <c>t[i, a:b, ...]</c>: an integer (selects and removes the
/// dimension; negative counts from the end), a C# range (<c>2..</c>, <c>..^1</c>, <c>^1</c>), a stepped slice,
/// <see cref="Ellipsis"/>, or <see cref="NewAxis"/>.
/// </summary>
public readonly struct TensorIndex
{
    internal enum IndexKind
    {
        Single,
        Slice,
        Ellipsis,
        NewAxis,
    }

    internal IndexKind Kind { get; }

    internal int Index { get; }

    internal int? Start { get; }

    internal int? Stop { get; }

    internal int Step { get; }

    private TensorIndex(IndexKind kind, int index = 0, int? start = null, int? stop = null, int step = 1)
    {
        Kind = kind;
        Index = index;
        Start = start;
        Stop = stop;
        Step = step;
    }

    /// <summary><c>...</c>: as many full slices as needed.</summary>
    public static TensorIndex Ellipsis => new(IndexKind.Ellipsis);

    /// <summary><c>None</c>: inserts a dimension of size 1.</summary>
    public static TensorIndex NewAxis => new(IndexKind.NewAxis);

    /// <summary><c>start:stop:step</c> in PyTorch's terms (null = open end; negative values count from the end).</summary>
    public static TensorIndex Slice(int? start = null, int? stop = null, int step = 1)
    {
        if (step <= 0)
        {
            throw new ArgumentException($"Slice step must be positive (PyTorch does not support negative steps); got {step}.");
        }
        return new(IndexKind.Slice, start: start, stop: stop, step: step);
    }

    /// <summary>An integer index; negative counts from the end, so <c>-1</c> is the last element.</summary>
    public static implicit operator TensorIndex(int index) => new(IndexKind.Single, index);

    /// <summary>A C# index: <c>^1</c> is the last element (PyTorch's <c>-1</c>).</summary>
    public static implicit operator TensorIndex(Index index) => new(IndexKind.Single, index.IsFromEnd ? -index.Value : index.Value);

    /// <summary>A C# range, e.g. <c>2..</c> for PyTorch's <c>2:</c>, <c>..^1</c> for <c>:-1</c>.</summary>
    public static implicit operator TensorIndex(Range range)
    {
        // ^0 is "one past the end": an open stop, or a start that selects nothing (clamped to the size).
        static int? Bound(Index i, bool isEnd) => i.IsFromEnd && i.Value == 0 ? (isEnd ? null : int.MaxValue) : i.IsFromEnd ? -i.Value : i.Value;
        return new(IndexKind.Slice, start: Bound(range.Start, false), stop: Bound(range.End, true));
    }

    /// <summary>Named alternative to the implicit conversion from <see cref="int"/>.</summary>
    public static TensorIndex FromInt32(int index) => index;

    /// <summary>Named alternative to the implicit conversion from <see cref="Range"/>.</summary>
    public static TensorIndex FromRange(Range range) => range;
}
