using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// The recurrent state carried between calls of <see cref="RnnLanguageModel.Forward"/>: <c>H</c> of shape
/// <c>(num_layers, batch, hidden_size)</c> and, for an LSTM, the cell state <c>C</c> of the same shape.
/// </summary>
/// <param name="H">Hidden state <c>(num_layers, batch, hidden_size)</c>.</param>
/// <param name="C">LSTM cell state <c>(num_layers, batch, hidden_size)</c>; null for RNN and GRU.</param>
public sealed record LanguageModelState(Tensor H, Tensor? C)
{
    /// <summary>The same state cut off from the graph (truncated backpropagation through time).</summary>
    public LanguageModelState Detach() => new(H.Detach(), C?.Detach());
}

/// <summary>
/// A token-level language model: Embedding (or one-hot when <c>embeddingDim</c> is 0, as in d2l chapter 8) →
/// batch-first recurrent layer (<see cref="LSTM"/>, <see cref="GRU"/> or <see cref="RNN"/>) → dropout → Linear head.
/// Tokens <c>(batch, seq_len)</c> int64 → logits <c>(batch, seq_len, vocab_size)</c>. Parameters are named
/// <c>embedding.weight</c>, <c>rnn.weight_ih_l0</c>, ..., <c>fc.weight</c>, <c>fc.bias</c>, so a PyTorch module with the
/// same attribute names loads the state dict directly.
/// </summary>
public sealed class RnnLanguageModel : Module
{
    private readonly Dropout? dropout;

    /// <summary>Creates the model.</summary>
    /// <param name="mode"><c>"lstm"</c>, <c>"gru"</c>, <c>"rnn"</c> (tanh) or <c>"rnn_relu"</c>.</param>
    /// <param name="vocabSize">Number of tokens V (input classes and output logits).</param>
    /// <param name="hiddenSize">Hidden size of the recurrent layer.</param>
    /// <param name="numLayers">Stacked recurrent layers.</param>
    /// <param name="embeddingDim">Embedding size; 0 feeds one-hot vectors of size V instead.</param>
    /// <param name="dropout">Dropout between recurrent layers and before the head (training only).</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="generator">Random source for initialisation and dropout.</param>
    public RnnLanguageModel(string mode, int vocabSize, int hiddenSize, int numLayers = 1, int embeddingDim = 0, double dropout = 0,
        DType dtype = DType.Float32, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(mode);
        if (vocabSize <= 0 || hiddenSize <= 0 || numLayers <= 0 || embeddingDim < 0)
        {
            throw new ArgumentException(
                $"RnnLanguageModel: vocab_size, hidden_size and num_layers must be positive and embedding_dim ≥ 0; got vocab_size={vocabSize}, " +
                $"hidden_size={hiddenSize}, num_layers={numLayers}, embedding_dim={embeddingDim}.");
        }
        Mode = mode.ToLowerInvariant();
        VocabSize = vocabSize;
        EmbeddingDim = embeddingDim;
        DType = dtype;
        if (embeddingDim > 0)
        {
            Embedding = RegisterModule("embedding", new Embedding(vocabSize, embeddingDim, dtype: dtype, generator: generator));
        }
        var input = embeddingDim > 0 ? embeddingDim : vocabSize;
        var layerDropout = numLayers > 1 ? dropout : 0;
        Rnn = Mode switch
        {
            "lstm" => new LSTM(input, hiddenSize, numLayers, batchFirst: true, dropout: layerDropout, dtype: dtype, generator: generator),
            "gru" => new GRU(input, hiddenSize, numLayers, batchFirst: true, dropout: layerDropout, dtype: dtype, generator: generator),
            "rnn" or "rnn_tanh" => new RNN(input, hiddenSize, numLayers, "tanh", batchFirst: true, dropout: layerDropout, dtype: dtype, generator: generator),
            "rnn_relu" => new RNN(input, hiddenSize, numLayers, "relu", batchFirst: true, dropout: layerDropout, dtype: dtype, generator: generator),
            _ => throw new ArgumentException($"RnnLanguageModel: mode must be lstm, gru, rnn or rnn_relu; got '{mode}'.", nameof(mode)),
        };
        RegisterModule("rnn", Rnn);
        if (dropout > 0)
        {
            this.dropout = RegisterModule("drop", new Dropout(dropout, generator));
        }
        Fc = RegisterModule("fc", new Linear(hiddenSize, vocabSize, dtype: dtype, generator: generator));
    }

    /// <summary>The recurrent mode: lstm, gru, rnn or rnn_relu.</summary>
    public string Mode { get; }

    /// <summary>Vocabulary size V.</summary>
    public int VocabSize { get; }

    /// <summary>Embedding size, 0 for one-hot input.</summary>
    public int EmbeddingDim { get; }

    /// <summary>Parameter element type.</summary>
    public DType DType { get; }

    /// <summary>The embedding table, or null for one-hot input.</summary>
    public Embedding? Embedding { get; }

    /// <summary>The recurrent layer (batch first).</summary>
    public RNNBase Rnn { get; }

    /// <summary>The output head, hidden_size → V.</summary>
    public Linear Fc { get; }

    /// <summary>
    /// Runs the model: tokens int64 <c>(batch, seq_len)</c> → logits <c>(batch, seq_len, V)</c> and the final state.
    /// Pass the previous call's state (detached) to continue the sequences; null starts from zeros.
    /// </summary>
    public (Tensor Logits, LanguageModelState State) Forward(Tensor tokens, LanguageModelState? state = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Dim != 2 || tokens.DType != DType.Int64)
        {
            throw new ArgumentException(
                $"RnnLanguageModel: tokens must be int64 of shape (batch, seq_len); got {tokens.DType.TorchName()} of shape {tokens.Shape}.");
        }
        var x = Embedding is not null ? Embedding.Forward(tokens) : Functional.OneHot(tokens, VocabSize).To(DType);
        Tensor output;
        LanguageModelState next;
        switch (Rnn)
        {
            case LSTM lstm:
                {
                    var (o, h, c) = lstm.Forward(x, state?.H, state?.C);
                    output = o;
                    next = new LanguageModelState(h, c);
                    break;
                }
            case GRU gru:
                {
                    var (o, h) = gru.Forward(x, state?.H);
                    output = o;
                    next = new LanguageModelState(h, null);
                    break;
                }
            default:
                {
                    var (o, h) = ((RNN)Rnn).Forward(x, state?.H);
                    output = o;
                    next = new LanguageModelState(h, null);
                    break;
                }
        }
        if (dropout is not null)
        {
            output = dropout.Forward(output);
        }
        return (Fc.Forward(output), next);
    }

    /// <summary>Mean cross-entropy of next-token prediction: logits <c>(B, T, V)</c> against targets <c>(B, T)</c>.</summary>
    public static Tensor Loss(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        return Functional.CrossEntropy(logits.Reshape(-1, logits.Size(-1)), targets.Reshape(-1));
    }

    /// <summary>
    /// Continues <paramref name="prefix"/> by <paramref name="numPreds"/> tokens (d2l's <c>predict_ch8</c>): the prefix
    /// warms up the state, then each step feeds the last token. With <paramref name="temperature"/> ≤ 0 it is greedy
    /// (argmax); otherwise it samples from softmax(logits / temperature), restricted to the <paramref name="topK"/> most
    /// likely tokens when topK &gt; 0. Returns prefix and prediction together.
    /// </summary>
    public int[] Predict(IReadOnlyList<int> prefix, int numPreds, double temperature = 0, int topK = 0, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Count == 0)
        {
            throw new ArgumentException("Predict: the prefix must contain at least one token.", nameof(prefix));
        }
        var wasTraining = Training;
        Eval();
        var outputs = new List<int> { prefix[0] };
        LanguageModelState? state = null;
        var g = generator ?? Generator.Default;
        using (new Autograd.NoGrad())
        {
            Tensor Step(int token)
            {
                var (logits, s) = Forward(Tensor.FromArray([(long)token], 1, 1), state);
                state = s;
                return logits;
            }
            for (var i = 1; i < prefix.Count; i++)
            {
                Step(outputs[^1]);
                outputs.Add(prefix[i]);
            }
            for (var i = 0; i < numPreds; i++)
            {
                var logits = Step(outputs[^1]).ToDoubleArray();
                outputs.Add(temperature <= 0 ? ArgMax(logits) : Sample(logits, temperature, topK, g));
            }
        }
        Train(wasTraining);
        return [.. outputs];
    }

    private static int ArgMax(double[] v)
    {
        var best = 0;
        for (var i = 1; i < v.Length; i++)
        {
            if (v[i] > v[best])
            {
                best = i;
            }
        }
        return best;
    }

    private static int Sample(double[] logits, double temperature, int topK, Generator g)
    {
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ToArray();
        if (topK > 0 && topK < order.Length)
        {
            order = order[..topK];
        }
        var max = logits[order[0]];
        var weights = order.Select(i => Math.Exp((logits[i] - max) / temperature)).ToArray();
        var u = g.NextDouble() * weights.Sum();
        for (var k = 0; k < order.Length; k++)
        {
            u -= weights[k];
            if (u <= 0)
            {
                return order[k];
            }
        }
        return order[^1];
    }
}
