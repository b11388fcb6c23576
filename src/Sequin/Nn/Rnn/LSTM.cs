using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// A multi-layer long short-term memory network (<c>torch.nn.LSTM</c>), gates in PyTorch's order i, f, g, o:
/// <c>c′ = f ⊙ c + i ⊙ g</c>, <c>h′ = o ⊙ tanh(c′)</c>, and with <c>proj_size</c> &gt; 0 <c>h′ = W_hr (o ⊙ tanh(c′))</c>.
/// </summary>
/// <remarks>
/// Shapes (D = 2 if bidirectional else 1, L = num_layers, H_out = proj_size if &gt; 0 else hidden_size):
/// input <c>(seq_len, batch, input_size)</c> (batch first when <see cref="RNNBase.BatchFirst"/>, or <c>(seq_len, input_size)</c> unbatched);
/// h_0 <c>(L·D, batch, H_out)</c>, c_0 <c>(L·D, batch, hidden_size)</c> (both or neither; zeros when omitted);
/// output <c>(seq_len, batch, D·H_out)</c>, h_n <c>(L·D, batch, H_out)</c>, c_n <c>(L·D, batch, hidden_size)</c>.
/// </remarks>
public sealed class LSTM : RNNBase
{
    /// <summary>Creates the layer; see <see cref="RNNBase"/> for the parameters it registers.</summary>
    /// <param name="inputSize">Features per input time step (<c>input_size</c>).</param>
    /// <param name="hiddenSize">Features of the cell state (<c>hidden_size</c>).</param>
    /// <param name="numLayers">Number of stacked layers (<c>num_layers</c>).</param>
    /// <param name="bias">Whether to use the biases b_ih and b_hh.</param>
    /// <param name="batchFirst">Input/output as (batch, seq, feature).</param>
    /// <param name="dropout">Dropout on the outputs of every layer except the last, in training mode.</param>
    /// <param name="bidirectional">Also run each layer backwards in time.</param>
    /// <param name="projSize">If &gt; 0, project h to this size with weight_hr (<c>proj_size</c>); must be &lt; hidden_size.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="generator">Source of the initial weights; <see cref="Generator.Default"/> when null.</param>
    public LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
        bool bidirectional = false, int projSize = 0, DType dtype = DType.Float32, Generator? generator = null)
        : base(RecurrentMode.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, projSize, dtype, generator)
    {
    }

    /// <summary>Runs the LSTM over a padded sequence batch.</summary>
    /// <param name="input"><c>(seq_len, batch, input_size)</c>, <c>(batch, seq_len, input_size)</c> when batch-first, or <c>(seq_len, input_size)</c>.</param>
    /// <param name="h0">Initial hidden state <c>(num_layers·num_directions, batch, proj_size or hidden_size)</c>; zeros when null.</param>
    /// <param name="c0">Initial cell state <c>(num_layers·num_directions, batch, hidden_size)</c>; give it exactly when <paramref name="h0"/> is given.</param>
    /// <returns>Output <c>(seq_len, batch, num_directions·H_out)</c>, h_n <c>(L·D, batch, H_out)</c>, c_n <c>(L·D, batch, hidden_size)</c>.</returns>
    public (Tensor Output, Tensor HN, Tensor CN) Forward(Tensor input, Tensor? h0 = null, Tensor? c0 = null)
    {
        var (o, h, c) = ForwardTensor(input, h0, c0);
        return (o, h, c!);
    }

    /// <summary>Runs the LSTM over a packed batch; each sequence stops at its own length.</summary>
    /// <param name="input">Packed data <c>(sum(lengths), input_size)</c>.</param>
    /// <param name="h0">Initial hidden state <c>(L·D, batch, H_out)</c> in the caller's batch order; zeros when null.</param>
    /// <param name="c0">Initial cell state <c>(L·D, batch, hidden_size)</c> in the caller's batch order; zeros when null.</param>
    /// <returns>Packed output <c>(sum(lengths), D·H_out)</c>, h_n and c_n (each sequence's state at its last step, caller's order).</returns>
    public (PackedSequence Output, Tensor HN, Tensor CN) Forward(PackedSequence input, Tensor? h0 = null, Tensor? c0 = null)
    {
        var (o, h, c) = ForwardPacked(input, h0, c0);
        return (o, h, c!);
    }
}
