using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Samples;

/// <summary>
/// A batch-first, bidirectional, three-layer <c>nn.RNN(3, 5)</c> on one sequence of one step: batch_first changes input
/// and output but not the hidden state, which is split with <c>hidden.View(3, 2, 1, 5)</c> into (layer, direction, batch, H).
/// </summary>
public sealed class BatchFirstBidirectionalSample : Sample
{
    /// <inheritdoc/>
    public override string Name => "batch-first-bidirectional";

    /// <inheritdoc/>
    public override string Title => "batch-first bidirectional 3-layer RNN(3, 5) with hidden.View(3, 2, 1, 5)";

    /// <inheritdoc/>
    public override void Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var g = new Generator(5);
        var rnn = new RNN(3, 5, numLayers: 3, batchFirst: true, bidirectional: true, generator: g);
        output.WriteLine("rnn = nn.RNN(3, 5, num_layers=3, batch_first=True, bidirectional=True)");
        var input = Tensor.Randn([1, 1, 3], DType.Float32, g); // (batch, seq_len, input_size)
        var h0 = Tensor.Zeros([6, 1, 5]); // (num_layers * num_directions, batch, hidden_size): NOT batch-first
        var (rnnOut, hidden) = rnn.Forward(input, h0);
        ExpectShape(output, "input", input, 1, 1, 3);
        ExpectShape(output, "h0", h0, 6, 1, 5);
        ExpectShape(output, "output", rnnOut, 1, 1, 10);
        ExpectShape(output, "hidden", hidden, 6, 1, 5);
        var split = hidden.View(3, 2, 1, 5); // (num_layers, num_directions, batch, hidden_size)
        ExpectShape(output, "hidden.view(3, 2, 1, 5)", split, 3, 2, 1, 5);
        var lastLayer = split[^1];
        ExpectShape(output, "hidden.view(3, 2, 1, 5)[-1]", lastLayer, 2, 1, 5);
        ExpectEqual(output, "hidden.view(3, 2, 1, 5)[-1, 0] == output[:, -1, :5]  (forward)", lastLayer[0], rnnOut[.., ^1, ..5]);
        ExpectEqual(output, "hidden.view(3, 2, 1, 5)[-1, 1] == output[:, 0, 5:]   (backward)", lastLayer[1], rnnOut[.., 0, 5..]);
        ExpectEqual(output, "hidden.view(3, 2, 1, 5)[-1, 1] == hidden[-1]", lastLayer[1], hidden[^1]);
    }
}
