using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Samples;

/// <summary>
/// <c>nn.Embedding(20, 6)</c> then <c>nn.LSTM(6, 5)</c>: a batch of token ids arrives as (batch, seq_len), is turned
/// time-major with <c>transpose_(1, 0)</c>, embedded to (seq_len, batch, 6), and the LSTM's <c>output[-1]</c> equals <c>h_n</c>.
/// </summary>
public sealed class EmbeddingLstmSample : Sample
{
    /// <inheritdoc/>
    public override string Name => "embedding-lstm";

    /// <inheritdoc/>
    public override string Title => "Embedding(20, 6) + LSTM(6, 5) with transpose_(1, 0) and output[-1] == h_n";

    /// <inheritdoc/>
    public override void Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var g = new Generator(3);
        var embedding = new Embedding(20, 6, generator: g);
        var lstm = new LSTM(6, 5, generator: g);
        var tokens = Tensor.RandInt(0, 20, [3, 4], DType.Int64, g); // (batch, seq_len) as a data loader yields it
        ExpectShape(output, "tokens", tokens, 3, 4);
        tokens.Transpose_(1, 0); // in place: now (seq_len, batch), what a time-major LSTM wants
        ExpectShape(output, "tokens.transpose_(1, 0)", tokens, 4, 3);
        var embedded = embedding.Forward(tokens);
        ExpectShape(output, "embedded", embedded, 4, 3, 6);
        var (lstmOut, hN, cN) = lstm.Forward(embedded);
        ExpectShape(output, "output", lstmOut, 4, 3, 5);
        ExpectShape(output, "h_n", hN, 1, 3, 5);
        ExpectShape(output, "c_n", cN, 1, 3, 5);
        ExpectEqual(output, "output[-1] == h_n[0]", lstmOut[^1], hN[0]);
        ExpectDifferent(output, "h_n == c_n  (the cell state is a different tensor)", hN, cN);
    }
}
