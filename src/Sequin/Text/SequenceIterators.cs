using Sequin.Tensors;

namespace Sequin.Text;

/// <summary>
/// d2l's minibatch iterators over a token-index corpus for language models. Each batch is <c>(X, Y)</c>, both int64
/// <c>(batch_size, num_steps)</c>, with <c>Y</c> the next token of each position of <c>X</c>.
/// </summary>
public static class SequenceIterators
{
    /// <summary>
    /// Sequential partitioning (<c>seq_data_iter_sequential</c>): a random offset in [0, num_steps], the corpus cut
    /// into <c>batch_size</c> contiguous rows, and consecutive windows of <c>num_steps</c> columns, so that row b of
    /// one batch continues row b of the previous one (the hidden state can be carried across batches).
    /// </summary>
    public static IEnumerable<(Tensor X, Tensor Y)> Sequential(int[] corpus, int batchSize, int numSteps, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        Check(batchSize, numSteps);
        var g = generator ?? Generator.Default;
        var offset = (int)g.NextInt64(0, numSteps + 1);
        var numTokens = (corpus.Length - offset - 1) / batchSize * batchSize;
        if (numTokens <= 0)
        {
            yield break;
        }
        var cols = numTokens / batchSize;
        var numBatches = cols / numSteps;
        for (var i = 0; i < numSteps * numBatches; i += numSteps)
        {
            var x = new long[batchSize * numSteps];
            var y = new long[batchSize * numSteps];
            for (var b = 0; b < batchSize; b++)
            {
                for (var t = 0; t < numSteps; t++)
                {
                    var pos = offset + (b * cols) + i + t;
                    x[(b * numSteps) + t] = corpus[pos];
                    y[(b * numSteps) + t] = corpus[pos + 1];
                }
            }
            yield return (Tensor.FromArray(x, batchSize, numSteps), Tensor.FromArray(y, batchSize, numSteps));
        }
    }

    /// <summary>
    /// Random sampling (<c>seq_data_iter_random</c>): a random offset in [0, num_steps), subsequences of
    /// <c>num_steps</c> at shuffled starting points; batches are independent.
    /// </summary>
    public static IEnumerable<(Tensor X, Tensor Y)> Random(int[] corpus, int batchSize, int numSteps, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        Check(batchSize, numSteps);
        var g = generator ?? Generator.Default;
        var offset = (int)g.NextInt64(0, numSteps);
        var length = corpus.Length - offset;
        var numSubseqs = (length - 1) / numSteps;
        var starts = Enumerable.Range(0, Math.Max(numSubseqs, 0)).Select(i => i * numSteps).ToArray();
        for (var i = starts.Length - 1; i > 0; i--)
        {
            var j = (int)g.NextInt64(0, i + 1);
            (starts[i], starts[j]) = (starts[j], starts[i]);
        }
        var numBatches = numSubseqs / batchSize;
        for (var i = 0; i < batchSize * numBatches; i += batchSize)
        {
            var x = new long[batchSize * numSteps];
            var y = new long[batchSize * numSteps];
            for (var b = 0; b < batchSize; b++)
            {
                var s = offset + starts[i + b];
                for (var t = 0; t < numSteps; t++)
                {
                    x[(b * numSteps) + t] = corpus[s + t];
                    y[(b * numSteps) + t] = corpus[s + t + 1];
                }
            }
            yield return (Tensor.FromArray(x, batchSize, numSteps), Tensor.FromArray(y, batchSize, numSteps));
        }
    }

    /// <summary>Number of batches <see cref="Sequential"/> yields at most (for the smallest offset, 0).</summary>
    public static int MaxSequentialBatches(int corpusLength, int batchSize, int numSteps)
        => Math.Max(0, (corpusLength - 1) / batchSize / numSteps);

    private static void Check(int batchSize, int numSteps)
    {
        if (batchSize <= 0 || numSteps <= 0)
        {
            throw new ArgumentException($"batch_size and num_steps must be positive; got batch_size={batchSize}, num_steps={numSteps}.");
        }
    }
}
