using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// A multi-layer gated recurrent unit (<c>torch.nn.GRU</c>), gates in PyTorch's order r, z, n:
/// <c>r = σ(W_ir x + b_ir + W_hr h + b_hr)</c>, <c>z = σ(W_iz x + b_iz + W_hz h + b_hz)</c>,
/// <c>n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))</c>, <c>h′ = (1 − z) ⊙ n + z ⊙ h</c>.
/// </summary>
/// <remarks>
/// Shapes as <see cref="RNN"/>: input <c>(seq_len, batch, input_size)</c> (batch first when <see cref="RNNBase.BatchFirst"/>,
/// or <c>(seq_len, input_size)</c> unbatched), h_0 and h_n <c>(num_layers·num_directions, batch, hidden_size)</c>,
/// output <c>(seq_len, batch, num_directions·hidden_size)</c>.
/// </remarks>
public sealed class GRU : RNNBase
{
    /// <summary>Creates the layer; see <see cref="RNNBase"/> for the parameters it registers.</summary>
    /// <param name="inputSize">Features per input time step (<c>input_size</c>).</param>
    /// <param name="hiddenSize">Features of the hidden state (<c>hidden_size</c>).</param>
    /// <param name="numLayers">Number of stacked layers (<c>num_layers</c>).</param>
    /// <param name="bias">Whether to use the biases b_ih and b_hh.</param>
    /// <param name="batchFirst">Input/output as (batch, seq, feature).</param>
    /// <param name="dropout">Dropout on the outputs of every layer except the last, in training mode.</param>
    /// <param name="bidirectional">Also run each layer backwards in time.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="generator">Source of the initial weights; <see cref="Generator.Default"/> when null.</param>
    public GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
        bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
        : base(RecurrentMode.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 0, dtype, generator)
    {
    }

    /// <summary>Runs the GRU over a padded sequence batch.</summary>
    /// <param name="input"><c>(seq_len, batch, input_size)</c>, <c>(batch, seq_len, input_size)</c> when batch-first, or <c>(seq_len, input_size)</c>.</param>
    /// <param name="h0">Initial hidden state <c>(num_layers·num_directions, batch, hidden_size)</c>; zeros when null.</param>
    /// <returns>Output <c>(seq_len, batch, num_directions·hidden_size)</c> and h_n <c>(num_layers·num_directions, batch, hidden_size)</c>.</returns>
    public (Tensor Output, Tensor HN) Forward(Tensor input, Tensor? h0 = null)
    {
        var (o, h, _) = ForwardTensor(input, h0, null);
        return (o, h);
    }

    /// <summary>Runs the GRU over a packed batch; each sequence stops at its own length.</summary>
    /// <param name="input">Packed data <c>(sum(lengths), input_size)</c>.</param>
    /// <param name="h0">Initial hidden state <c>(num_layers·num_directions, batch, hidden_size)</c> in the caller's batch order; zeros when null.</param>
    /// <returns>Packed output <c>(sum(lengths), num_directions·hidden_size)</c> and h_n (each sequence's state at its last step, caller's order).</returns>
    public (PackedSequence Output, Tensor HN) Forward(PackedSequence input, Tensor? h0 = null)
    {
        var (o, h, _) = ForwardPacked(input, h0, null);
        return (o, h);
    }
}
