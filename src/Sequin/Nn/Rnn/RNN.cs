using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// A multi-layer Elman RNN with tanh or ReLU non-linearity (<c>torch.nn.RNN</c>):
/// <c>h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)</c>.
/// </summary>
/// <remarks>
/// Shapes (D = 2 if bidirectional else 1, L = num_layers): input <c>(seq_len, batch, input_size)</c>,
/// <c>(batch, seq_len, input_size)</c> when <see cref="RNNBase.BatchFirst"/>, or <c>(seq_len, input_size)</c> unbatched;
/// h_0 <c>(L·D, batch, hidden_size)</c> (<c>(L·D, hidden_size)</c> unbatched), zeros when omitted.
/// Output <c>(seq_len, batch, D·hidden_size)</c> (batch first when <see cref="RNNBase.BatchFirst"/>), h_n <c>(L·D, batch, hidden_size)</c>
/// with row <c>layer·D + direction</c>.
/// </remarks>
public sealed class RNN : RNNBase
{
    /// <summary>Creates the layer; see <see cref="RNNBase"/> for the parameters it registers.</summary>
    /// <param name="inputSize">Features per input time step (<c>input_size</c>).</param>
    /// <param name="hiddenSize">Features of the hidden state (<c>hidden_size</c>).</param>
    /// <param name="numLayers">Number of stacked layers (<c>num_layers</c>).</param>
    /// <param name="nonlinearity"><c>"tanh"</c> or <c>"relu"</c>.</param>
    /// <param name="bias">Whether to use the biases b_ih and b_hh.</param>
    /// <param name="batchFirst">Input/output as (batch, seq, feature).</param>
    /// <param name="dropout">Dropout on the outputs of every layer except the last, in training mode.</param>
    /// <param name="bidirectional">Also run each layer backwards in time.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="generator">Source of the initial weights; <see cref="Generator.Default"/> when null.</param>
    public RNN(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
        : base(ParseNonlinearity(nonlinearity), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 0, dtype, generator)
    {
        Nonlinearity = nonlinearity;
    }

    /// <summary><c>"tanh"</c> or <c>"relu"</c>.</summary>
    public string Nonlinearity { get; }

    private static RecurrentMode ParseNonlinearity(string nonlinearity) => nonlinearity switch
    {
        "tanh" => RecurrentMode.RnnTanh,
        "relu" => RecurrentMode.RnnRelu,
        _ => throw new ArgumentException($"RNN: unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.", nameof(nonlinearity)),
    };

    /// <summary>Runs the RNN over a padded sequence batch.</summary>
    /// <param name="input"><c>(seq_len, batch, input_size)</c>, <c>(batch, seq_len, input_size)</c> when batch-first, or <c>(seq_len, input_size)</c>.</param>
    /// <param name="h0">Initial hidden state <c>(num_layers·num_directions, batch, hidden_size)</c>; zeros when null.</param>
    /// <returns>Output <c>(seq_len, batch, num_directions·hidden_size)</c> and h_n <c>(num_layers·num_directions, batch, hidden_size)</c>.</returns>
    public (Tensor Output, Tensor HN) Forward(Tensor input, Tensor? h0 = null)
    {
        var (o, h, _) = ForwardTensor(input, h0, null);
        return (o, h);
    }

    /// <summary>Runs the RNN over a packed batch; each sequence stops at its own length.</summary>
    /// <param name="input">Packed data <c>(sum(lengths), input_size)</c>.</param>
    /// <param name="h0">Initial hidden state <c>(num_layers·num_directions, batch, hidden_size)</c> in the caller's batch order; zeros when null.</param>
    /// <returns>Packed output <c>(sum(lengths), num_directions·hidden_size)</c> and h_n (each sequence's state at its last step, caller's order).</returns>
    public (PackedSequence Output, Tensor HN) Forward(PackedSequence input, Tensor? h0 = null)
    {
        var (o, h, _) = ForwardPacked(input, h0, null);
        return (o, h);
    }
}
