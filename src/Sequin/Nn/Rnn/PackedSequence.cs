using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// A batch of variable-length sequences packed time-major without padding (<c>torch.nn.utils.rnn.PackedSequence</c>).
/// </summary>
/// <remarks>
/// <see cref="Data"/> holds, for t = 0, 1, ..., the rows of the <c>BatchSizes[t]</c> sequences still running at step t,
/// longest sequences first. <see cref="SortedIndices"/> maps sorted position → caller's batch index;
/// <see cref="UnsortedIndices"/> is its inverse. Both are null when the batch was already sorted (enforce_sorted=True).
/// </remarks>
/// <param name="Data">Packed rows, shape <c>(sum(lengths), *)</c>, e.g. <c>(sum(lengths), input_size)</c>.</param>
/// <param name="BatchSizes">int64 <c>(max_len,)</c>: how many sequences are active at each time step (non-increasing).</param>
/// <param name="SortedIndices">int64 <c>(batch,)</c> or null: the caller's batch index of each sorted position.</param>
/// <param name="UnsortedIndices">int64 <c>(batch,)</c> or null: the sorted position of each caller's batch index.</param>
public sealed record PackedSequence(Tensor Data, Tensor BatchSizes, Tensor? SortedIndices = null, Tensor? UnsortedIndices = null)
{
    /// <summary>The batch-size schedule as an array, e.g. <c>[3, 3, 2, 1]</c> for lengths 4, 3, 2.</summary>
    public int[] BatchSizesArray() => Array.ConvertAll(BatchSizes.ToArray<long>(), v => (int)v);

    /// <summary>Number of sequences in the batch (<c>BatchSizes[0]</c>).</summary>
    public int BatchSize => BatchSizes.Numel == 0 ? 0 : (int)BatchSizes.GetValue(0);

    /// <summary>Length of the longest sequence (number of time steps).</summary>
    public int MaxLength => BatchSizes.Numel;
}
