using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Samples;

/// <summary>
/// <c>nn.RNN(5, 10)</c> with one and with three layers on a <c>(6, 3, 5)</c> input: output keeps one row per time step
/// (the last layer's h), h_n one row per layer (the last step's h).
/// </summary>
public sealed class RnnLayersSample : Sample
{
    /// <inheritdoc/>
    public override string Name => "rnn-layers";

    /// <inheritdoc/>
    public override string Title => "nn.RNN(5, 10) with 1 and 3 layers on a (6, 3, 5) input";

    /// <inheritdoc/>
    public override void Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var g = new Generator(1);
        var input = Tensor.Randn([6, 3, 5], DType.Float32, g); // (seq_len, batch, input_size)

        output.WriteLine("rnn = nn.RNN(5, 10)");
        var rnn = new RNN(5, 10, generator: g);
        var (out1, h1) = rnn.Forward(input);
        ExpectShape(output, "input", input, 6, 3, 5);
        ExpectShape(output, "output", out1, 6, 3, 10);
        ExpectShape(output, "h_n", h1, 1, 3, 10);
        ExpectEqual(output, "output[-1] == h_n[0]", out1[^1], h1[0]);

        output.WriteLine();
        output.WriteLine("rnn = nn.RNN(5, 10, num_layers=3)");
        var rnn3 = new RNN(5, 10, numLayers: 3, generator: g);
        var (out3, h3) = rnn3.Forward(input);
        ExpectShape(output, "output", out3, 6, 3, 10);
        ExpectShape(output, "h_n", h3, 3, 3, 10);
        ExpectEqual(output, "output[-1] == h_n[-1]   (the last layer)", out3[^1], h3[^1]);
        ExpectDifferent(output, "output[-1] == h_n[0]    (layer 0 is not in output)", out3[^1], h3[0]);
    }
}
