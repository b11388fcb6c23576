using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// Packing and padding of variable-length batches (<c>torch.nn.utils.rnn</c>): <see cref="PackPaddedSequence(Tensor, Tensor, bool, bool)"/>,
/// <see cref="PackSequence"/>, <see cref="PadPackedSequence"/>, <see cref="PadSequence"/>, <see cref="UnpadSequence"/> and
/// <see cref="UnpackSequence"/>, with PyTorch's semantics. Every function is differentiable: each is one
/// <see cref="Tensor.IndexSelect"/> over the flattened rows (plus a constant padding row), so gradients flow back to
/// exactly the elements that were read.
/// </summary>
/// <example>
/// <code>
/// // input (T=6, B=3, I) with true lengths 6, 4, 2 (longest first):
/// var packed = RnnUtils.PackPaddedSequence(input, [6, 4, 2]);      // Data (12, I), BatchSizes [3, 3, 2, 2, 1, 1]
/// var (output, hN) = rnn.Forward(packed);
/// var (padded, lengths) = RnnUtils.PadPackedSequence(output);       // (6, 3, H), lengths [6, 4, 2]
/// </code>
/// </example>
public static class RnnUtils
{
    /// <summary>
    /// Packs a padded batch of variable-length sequences (<c>pack_padded_sequence</c>).
    /// </summary>
    /// <param name="input">Padded batch <c>(T, B, *)</c>, or <c>(B, T, *)</c> when <paramref name="batchFirst"/>; T ≥ max(lengths).</param>
    /// <param name="lengths">int64 <c>(B,)</c>: the true length of each sequence, each in 1..T (a float tensor is converted, as PyTorch does).</param>
    /// <param name="batchFirst">Whether <paramref name="input"/> is <c>(B, T, *)</c>.</param>
    /// <param name="enforceSorted">
    /// True (the default): <paramref name="lengths"/> must be non-increasing (longest first) and the result has no
    /// sorted/unsorted indices. False: the batch is sorted here and the permutation is recorded so that
    /// <see cref="PadPackedSequence"/> and the recurrent layers restore the caller's order.
    /// </param>
    /// <returns>A <see cref="PackedSequence"/> whose <c>Data</c> is <c>(sum(lengths), *)</c>.</returns>
    public static PackedSequence PackPaddedSequence(Tensor input, Tensor lengths, bool batchFirst = false, bool enforceSorted = true)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        if (lengths.Dim != 1)
        {
            throw new ArgumentException(
                $"pack_padded_sequence: 'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.Dim}D {lengths.DType.TorchName()} tensor " +
                $"of shape {lengths.Shape}. Pass one length per sequence, shape (batch,).", nameof(lengths));
        }
        return PackCore(input, lengths.To(DType.Int64).ToArray<long>(), batchFirst, enforceSorted);
    }

    /// <summary>Packs a padded batch given the lengths as an array; see <see cref="PackPaddedSequence(Tensor, Tensor, bool, bool)"/>.</summary>
    /// <param name="input">Padded batch <c>(T, B, *)</c>, or <c>(B, T, *)</c> when <paramref name="batchFirst"/>.</param>
    /// <param name="lengths">The true length of each sequence, each in 1..T.</param>
    /// <param name="batchFirst">Whether <paramref name="input"/> is <c>(B, T, *)</c>.</param>
    /// <param name="enforceSorted">Whether <paramref name="lengths"/> must already be non-increasing.</param>
    public static PackedSequence PackPaddedSequence(Tensor input, int[] lengths, bool batchFirst = false, bool enforceSorted = true)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        return PackCore(input, Array.ConvertAll(lengths, v => (long)v), batchFirst, enforceSorted);
    }

    private static PackedSequence PackCore(Tensor input, long[] lengths, bool batchFirst, bool enforceSorted)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim < 2)
        {
            throw new ArgumentException(
                $"pack_padded_sequence: input must have at least 2 dimensions, (T, B, *) or (B, T, *) with batchFirst; got shape {input.Shape}. " +
                "For a single unbatched sequence (T, *), add the batch dimension with Unsqueeze(1).", nameof(input));
        }
        if (input.Numel == 0)
        {
            throw new ArgumentException($"pack_padded_sequence: Cannot pack empty tensors (input shape {input.Shape}).", nameof(input));
        }
        var batchDim = batchFirst ? 0 : 1;
        var timeDim = 1 - batchDim;
        var batch = input.Size(batchDim);
        var steps = input.Size(timeDim);
        var layout = batchFirst ? "(B, T, *)" : "(T, B, *)";
        if (lengths.Length != batch)
        {
            throw new ArgumentException(
                $"pack_padded_sequence: Expected `len(lengths)` to be equal to batch_size, but got {lengths.Length} (batch_size={batch}). " +
                $"The input {input.Shape} is read as {layout} because batchFirst={batchFirst.ToString().ToLowerInvariant()}" +
                (batchFirst ? "." : "; if your batch is first, pass batchFirst: true."), nameof(lengths));
        }
        for (var b = 0; b < batch; b++)
        {
            if (lengths[b] <= 0)
            {
                throw new ArgumentException(
                    "pack_padded_sequence: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0 " +
                    $"(lengths[{b}] = {lengths[b]}). Drop empty sequences from the batch before packing.", nameof(lengths));
            }
            if (lengths[b] > steps)
            {
                throw new ArgumentException(
                    $"pack_padded_sequence: lengths[{b}] = {lengths[b]} exceeds the time dimension of the input: {input.Shape} is {layout} " +
                    $"with T = {steps} because batchFirst={batchFirst.ToString().ToLowerInvariant()}. Each length must be at most T" +
                    (batchFirst ? "." : "; if your batch is first, pass batchFirst: true."), nameof(lengths));
            }
        }

        int[] order;
        if (enforceSorted)
        {
            for (var b = 1; b < batch; b++)
            {
                if (lengths[b] > lengths[b - 1])
                {
                    throw new ArgumentException(
                        "pack_padded_sequence: `lengths` array must be sorted in decreasing order when `enforce_sorted` is True. " +
                        "You can pass `enforceSorted: false` to PackPaddedSequence and/or PackSequence to sidestep this requirement " +
                        $"if you do not need ONNX exportability. Got lengths [{string.Join(", ", lengths)}] (lengths[{b}] = {lengths[b]} > lengths[{b - 1}] = {lengths[b - 1]}).",
                        nameof(lengths));
                }
            }
            order = Enumerable.Range(0, batch).ToArray();
        }
        else
        {
            // A stable descending sort, so equal lengths keep the caller's order.
            order = Enumerable.Range(0, batch).OrderByDescending(b => lengths[b]).ToArray();
        }

        var maxLen = (int)lengths[order[0]];
        var batchSizes = new long[maxLen];
        var rows = new List<long>();
        for (var t = 0; t < maxLen; t++)
        {
            var active = 0;
            foreach (var b in order)
            {
                if (lengths[b] <= t)
                {
                    break;
                }
                rows.Add(batchFirst ? (long)b * steps + t : (long)t * batch + b);
                active++;
            }
            batchSizes[t] = active;
        }

        var rest = input.ShapeArray.Skip(2).ToArray();
        var flat = input.Reshape([batch * steps, .. rest]);
        var data = flat.IndexSelect(0, Tensor.FromArray([.. rows], rows.Count));
        if (enforceSorted)
        {
            return new PackedSequence(data, Tensor.FromArray(batchSizes, maxLen));
        }
        var sorted = Array.ConvertAll(order, v => (long)v);
        return new PackedSequence(data, Tensor.FromArray(batchSizes, maxLen), Tensor.FromArray(sorted, batch), Tensor.FromArray(InvertPermutation(sorted), batch));
    }

    private static long[] InvertPermutation(long[] permutation)
    {
        var inverse = new long[permutation.Length];
        for (var i = 0; i < permutation.Length; i++)
        {
            inverse[permutation[i]] = i;
        }
        return inverse;
    }

    /// <summary>
    /// Packs a list of sequences of decreasing length (<c>pack_sequence</c>): <c>PackPaddedSequence(PadSequence(sequences), lengths)</c>.
    /// </summary>
    /// <param name="sequences">Tensors <c>(L_i, *)</c> with equal trailing dimensions.</param>
    /// <param name="enforceSorted">True: lengths must be non-increasing. False: any order; it is recorded and restored.</param>
    public static PackedSequence PackSequence(IReadOnlyList<Tensor> sequences, bool enforceSorted = true)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var lengths = CheckSequences(sequences, "pack_sequence");
        return PackCore(PadSequence(sequences), Array.ConvertAll(lengths, v => (long)v), batchFirst: false, enforceSorted);
    }

    /// <summary>
    /// The inverse of <see cref="PackPaddedSequence(Tensor, Tensor, bool, bool)"/> (<c>pad_packed_sequence</c>): pads the
    /// packed batch back to <c>(T, B, *)</c> (or <c>(B, T, *)</c> when <paramref name="batchFirst"/>) in the caller's original
    /// batch order, with T = <paramref name="totalLength"/> or the longest length.
    /// </summary>
    /// <param name="sequence">The packed batch.</param>
    /// <param name="batchFirst">Whether to return <c>(B, T, *)</c>.</param>
    /// <param name="paddingValue">Value of the padded positions.</param>
    /// <param name="totalLength">
    /// Pad to this many steps (useful with DataParallel-style splitting or to get back the original T); must be at least the
    /// longest length.
    /// </param>
    /// <returns>The padded tensor and int64 <c>(B,)</c> lengths, both in the original batch order.</returns>
    public static (Tensor Padded, Tensor Lengths) PadPackedSequence(PackedSequence sequence, bool batchFirst = false, double paddingValue = 0, int? totalLength = null)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var data = sequence.Data;
        var bs = CheckBatchSizes(sequence);
        var maxLen = bs.Length;
        if (totalLength is { } tl && tl < maxLen)
        {
            throw new ArgumentException(
                "pad_packed_sequence: Expected total_length to be at least the length of the longest sequence in input, but got " +
                $"total_length={tl} and max sequence length being {maxLen}.", nameof(totalLength));
        }
        var steps = totalLength ?? maxLen;
        var batch = bs.Length == 0 ? 0 : bs[0];
        var n = data.Size(0);

        // Length of each sorted position, and where each time step's rows start in Data.
        var sortedLengths = new long[batch];
        var starts = new int[maxLen];
        var pos = 0;
        for (var t = 0; t < maxLen; t++)
        {
            starts[t] = pos;
            pos += bs[t];
            for (var j = 0; j < bs[t]; j++)
            {
                sortedLengths[j]++;
            }
        }
        // As PyTorch's PackedSequence constructor: unsorted_indices defaults to the inverse of sorted_indices.
        var unsorted = sequence.UnsortedIndices?.ToArray<long>()
            ?? (sequence.SortedIndices is { } sortedIndices ? InvertPermutation(sortedIndices.ToArray<long>()) : null);
        if (unsorted is not null && unsorted.Length != batch)
        {
            throw new ArgumentException(
                $"pad_packed_sequence: UnsortedIndices has {unsorted.Length} entries but the batch has {batch} sequences (BatchSizes[0]).", nameof(sequence));
        }

        // Output position (t, b) or (b, t) reads Data row starts[t] + j, where j is b's sorted position, or the padding row n.
        var index = new long[steps * batch];
        var lengths = new long[batch];
        for (var b = 0; b < batch; b++)
        {
            var j = unsorted is null ? b : (int)unsorted[b];
            lengths[b] = sortedLengths[j];
            for (var t = 0; t < steps; t++)
            {
                var src = t < maxLen && j < bs[t] ? starts[t] + j : n;
                index[batchFirst ? b * steps + t : t * batch + b] = src;
            }
        }
        var rest = data.ShapeArray.Skip(1).ToArray();
        var padRow = Tensor.Full([1, .. rest], paddingValue, data.DType);
        var padded = Tensor.Cat([data, padRow], 0).IndexSelect(0, Tensor.FromArray(index, index.Length));
        int[] outShape = batchFirst ? [batch, steps, .. rest] : [steps, batch, .. rest];
        return (padded.View(outShape), Tensor.FromArray(lengths, batch));
    }

    private static int[] CheckBatchSizes(PackedSequence sequence)
    {
        if (sequence.BatchSizes.DType != DType.Int64 || sequence.BatchSizes.Dim != 1)
        {
            throw new ArgumentException(
                $"pad_packed_sequence: BatchSizes must be a 1-D int64 tensor; got {sequence.BatchSizes.Dim}-D {sequence.BatchSizes.DType.TorchName()}.", nameof(sequence));
        }
        var bs = sequence.BatchSizesArray();
        long total = 0;
        for (var t = 0; t < bs.Length; t++)
        {
            if (bs[t] <= 0 || (t > 0 && bs[t] > bs[t - 1]))
            {
                throw new ArgumentException(
                    $"pad_packed_sequence: BatchSizes must be positive and non-increasing; got [{string.Join(", ", bs)}]. " +
                    "Build PackedSequence values with PackPaddedSequence or PackSequence.", nameof(sequence));
            }
            total += bs[t];
        }
        if (sequence.Data.Dim < 1 || sequence.Data.Size(0) != total)
        {
            throw new ArgumentException(
                $"pad_packed_sequence: Data has shape {sequence.Data.Shape} but BatchSizes [{string.Join(", ", bs)}] sum to {total}; " +
                "Data must be (sum(BatchSizes), *).", nameof(sequence));
        }
        return bs;
    }

    /// <summary>
    /// Pads a list of variable-length sequences into one tensor (<c>pad_sequence</c>): <c>(L_max, B, *)</c>, or
    /// <c>(B, L_max, *)</c> when <paramref name="batchFirst"/>.
    /// </summary>
    /// <param name="sequences">Tensors <c>(L_i, *)</c> with equal trailing dimensions.</param>
    /// <param name="batchFirst">Whether to return <c>(B, L_max, *)</c>.</param>
    /// <param name="paddingValue">Value of the padded positions.</param>
    /// <param name="paddingSide"><c>"right"</c> (default: sequences start at step 0) or <c>"left"</c> (sequences end at the last step).</param>
    public static Tensor PadSequence(IReadOnlyList<Tensor> sequences, bool batchFirst = false, double paddingValue = 0, string paddingSide = "right")
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (paddingSide is not ("right" or "left"))
        {
            throw new ArgumentException($"pad_sequence: paddingSide must be \"right\" or \"left\"; got \"{paddingSide}\".", nameof(paddingSide));
        }
        var lengths = CheckSequences(sequences, "pad_sequence");
        var batch = sequences.Count;
        var maxLen = lengths.Max();
        var rest = sequences[0].ShapeArray.Skip(1).ToArray();
        var total = lengths.Sum();
        var index = new long[maxLen * batch];
        var start = 0;
        for (var b = 0; b < batch; b++)
        {
            var shift = paddingSide == "left" ? maxLen - lengths[b] : 0;
            for (var t = 0; t < maxLen; t++)
            {
                var k = t - shift;
                index[batchFirst ? b * maxLen + t : t * batch + b] = k >= 0 && k < lengths[b] ? start + k : total;
            }
            start += lengths[b];
        }
        var dtype = sequences.Select(s => s.DType).Aggregate(DTypeExtensions.Promote);
        var parts = sequences.Append(Tensor.Full([1, .. rest], paddingValue, dtype)).ToArray();
        var padded = Tensor.Cat(parts, 0).IndexSelect(0, Tensor.FromArray(index, index.Length));
        int[] outShape = batchFirst ? [batch, maxLen, .. rest] : [maxLen, batch, .. rest];
        return padded.View(outShape);
    }

    private static int[] CheckSequences(IReadOnlyList<Tensor> sequences, string op)
    {
        if (sequences.Count == 0)
        {
            throw new ArgumentException($"{op}: received an empty list of sequences; pass at least one tensor (L, *).", nameof(sequences));
        }
        var first = sequences[0] ?? throw new ArgumentException($"{op}: sequence 0 is null.", nameof(sequences));
        if (first.Dim < 1)
        {
            throw new ArgumentException($"{op}: each sequence must be (L, *) with at least 1 dimension; sequence 0 is 0-D.", nameof(sequences));
        }
        var lengths = new int[sequences.Count];
        for (var i = 0; i < sequences.Count; i++)
        {
            var s = sequences[i] ?? throw new ArgumentException($"{op}: sequence {i} is null.", nameof(sequences));
            if (s.Dim != first.Dim || !s.ShapeArray.AsSpan(1).SequenceEqual(first.ShapeArray.AsSpan(1)))
            {
                throw new ArgumentException(
                    $"{op}: every sequence must be (L_i, *) with the same trailing dimensions; sequence 0 is {first.Shape} but sequence {i} is {s.Shape}.",
                    nameof(sequences));
            }
            lengths[i] = s.Size(0);
        }
        return lengths;
    }

    /// <summary>
    /// Splits a padded batch back into its sequences (<c>unpad_sequence</c>): sequence b is
    /// <c>padded[:lengths[b], b]</c> (or <c>padded[b, :lengths[b]]</c> when <paramref name="batchFirst"/>), shape <c>(lengths[b], *)</c>.
    /// </summary>
    /// <param name="padded">The padded batch <c>(T, B, *)</c> or <c>(B, T, *)</c>.</param>
    /// <param name="lengths">int64 <c>(B,)</c> lengths, each at most T.</param>
    /// <param name="batchFirst">Whether <paramref name="padded"/> is <c>(B, T, *)</c>.</param>
    public static IReadOnlyList<Tensor> UnpadSequence(Tensor padded, Tensor lengths, bool batchFirst = false)
    {
        ArgumentNullException.ThrowIfNull(padded);
        ArgumentNullException.ThrowIfNull(lengths);
        if (padded.Dim < 2)
        {
            throw new ArgumentException($"unpad_sequence: padded must be (T, B, *) or (B, T, *); got shape {padded.Shape}.", nameof(padded));
        }
        var l = lengths.To(DType.Int64).ToArray<long>();
        var batchDim = batchFirst ? 0 : 1;
        if (lengths.Dim != 1 || l.Length != padded.Size(batchDim))
        {
            throw new ArgumentException(
                $"unpad_sequence: lengths must be (B,) with B = {padded.Size(batchDim)} (dimension {batchDim} of {padded.Shape}); got shape {lengths.Shape}.",
                nameof(lengths));
        }
        var steps = padded.Size(1 - batchDim);
        var result = new Tensor[l.Length];
        for (var b = 0; b < l.Length; b++)
        {
            if (l[b] < 0 || l[b] > steps)
            {
                throw new ArgumentException($"unpad_sequence: lengths[{b}] = {l[b]} is outside 0..T = 0..{steps} for padded {padded.Shape}.", nameof(lengths));
            }
            result[b] = padded.Select(batchDim, b).Narrow(0, 0, (int)l[b]);
        }
        return result;
    }

    /// <summary>
    /// Splits a packed batch into its sequences in the original batch order (<c>unpack_sequence</c>), each <c>(L_i, *)</c>.
    /// </summary>
    /// <param name="sequence">The packed batch.</param>
    public static IReadOnlyList<Tensor> UnpackSequence(PackedSequence sequence)
    {
        var (padded, lengths) = PadPackedSequence(sequence, batchFirst: true);
        return UnpadSequence(padded, lengths, batchFirst: true);
    }
}
