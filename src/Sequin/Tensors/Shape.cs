using System.Collections;

namespace Sequin.Tensors;

/// <summary>
/// A tensor shape (<c>torch.Size</c>). Prints as a tuple such as <c>(6, 3, 20)</c>; compares by value.
/// </summary>
public readonly struct Shape : IReadOnlyList<int>, IEquatable<Shape>
{
    private readonly int[]? dims;

    /// <summary>Creates a shape from its sizes.</summary>
    public Shape(params int[] dims) => this.dims = (int[])dims.Clone();

    private int[] Dims => dims ?? [];

    /// <summary>Size of dimension <paramref name="index"/>; negative indices count from the end.</summary>
    public int this[int index] => Dims[index < 0 ? index + Dims.Length : index];

    /// <summary>Number of dimensions.</summary>
    public int Count => Dims.Length;

    /// <summary>Number of elements a tensor of this shape holds.</summary>
    public int Numel => ShapeUtil.Numel(Dims);

    /// <summary>The sizes as a new array.</summary>
    public int[] ToArray() => (int[])Dims.Clone();

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)Dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dims.AsSpan().SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims)
        {
            h.Add(d);
        }
        return h.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>Converts an array of sizes to a shape.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);

    /// <summary>The tuple form PyTorch users read: <c>(6, 3, 20)</c>, <c>(5,)</c> for one dimension, <c>()</c> for a scalar.</summary>
    public override string ToString() => ShapeUtil.Format(Dims);
}

/// <summary>Shape arithmetic shared by the tensor operations.</summary>
internal static class ShapeUtil
{
    public static string Format(ReadOnlySpan<int> dims) => dims.Length switch
    {
        0 => "()",
        1 => $"({dims[0]},)",
        _ => "(" + string.Join(", ", dims.ToArray()) + ")",
    };

    public static int Numel(ReadOnlySpan<int> dims)
    {
        long n = 1;
        foreach (var d in dims)
        {
            n *= d;
        }
        if (n > int.MaxValue)
        {
            throw new ArgumentException($"A tensor of shape {Format(dims)} has {n} elements, more than Sequin supports ({int.MaxValue}).");
        }
        return (int)n;
    }

    public static int[] ContiguousStrides(ReadOnlySpan<int> dims)
    {
        var s = new int[dims.Length];
        var acc = 1;
        for (var d = dims.Length - 1; d >= 0; d--)
        {
            s[d] = acc;
            acc *= Math.Max(dims[d], 1);
        }
        return s;
    }

    public static bool IsContiguous(ReadOnlySpan<int> dims, ReadOnlySpan<int> strides)
    {
        var acc = 1;
        for (var d = dims.Length - 1; d >= 0; d--)
        {
            if (dims[d] != 1 && strides[d] != acc)
            {
                return false;
            }
            acc *= dims[d];
        }
        return true;
    }

    public static int NormalizeDim(int dim, int rank, string op)
    {
        var r = Math.Max(rank, 1);
        var d = dim < 0 ? dim + r : dim;
        if (d < 0 || d >= r)
        {
            throw new ArgumentOutOfRangeException(nameof(dim),
                $"{op}: dimension {dim} is out of range for a tensor with {rank} dimension(s) (expected a value in [{-r}, {r - 1}]).");
        }
        return d;
    }

    /// <summary>NumPy/PyTorch broadcasting: align from the right; sizes must be equal or 1.</summary>
    public static int[] Broadcast(string op, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            var db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException(
                    $"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together: dimension {i} (aligned from the right) " +
                    $"has sizes {da} and {db}; each pair must be equal or one of them 1.");
            }
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Strides that view a tensor of <paramref name="dims"/>/<paramref name="strides"/> as <paramref name="target"/> (zero stride on broadcast dims).</summary>
    public static int[] BroadcastStrides(ReadOnlySpan<int> dims, ReadOnlySpan<int> strides, ReadOnlySpan<int> target, string op)
    {
        var result = new int[target.Length];
        var lead = target.Length - dims.Length;
        if (lead < 0)
        {
            throw new ArgumentException($"{op}: cannot broadcast shape {Format(dims)} to the smaller rank shape {Format(target)}.");
        }
        for (var i = 0; i < target.Length; i++)
        {
            if (i < lead)
            {
                result[i] = 0;
                continue;
            }
            var d = dims[i - lead];
            if (d == target[i])
            {
                result[i] = d == 1 ? 0 : strides[i - lead];
            }
            else if (d == 1)
            {
                result[i] = 0;
            }
            else
            {
                throw new ArgumentException(
                    $"{op}: shape {Format(dims)} cannot be broadcast to {Format(target)}: dimension {i} has size {d}, expected {target[i]} or 1.");
            }
        }
        return result;
    }
}
