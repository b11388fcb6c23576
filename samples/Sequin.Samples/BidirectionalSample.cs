using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Samples;

/// <summary>
/// Bidirectional <c>nn.RNN(5, 10)</c> with one and two layers: which half of <c>out[-1]</c> and <c>out[0]</c> equals
/// which row of <c>ht</c>, and why <c>ht[-1]</c> is the backward direction.
/// </summary>
public sealed class BidirectionalSample : Sample
{
    /// <inheritdoc/>
    public override string Name => "bidirectional";

    /// <inheritdoc/>
    public override string Title => "bidirectional RNN(5, 10), 1 and 2 layers: out[-1], ht[0], ht[-1], out[0], ht[2:]";

    /// <inheritdoc/>
    public override void Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var g = new Generator(2);
        var input = Tensor.Randn([6, 3, 5], DType.Float32, g);

        output.WriteLine("rnn = nn.RNN(5, 10, bidirectional=True)");
        var rnn = new RNN(5, 10, bidirectional: true, generator: g);
        var (out1, ht1) = rnn.Forward(input);
        ExpectShape(output, "out", out1, 6, 3, 20);
        ExpectShape(output, "ht", ht1, 2, 3, 10);
        ExpectEqual(output, "out[-1, :, :10] == ht[0]   (forward ends at the last step)", out1[^1, .., ..10], ht1[0]);
        ExpectEqual(output, "out[0, :, 10:] == ht[-1]   (backward ends at the first step)", out1[0, .., 10..], ht1[^1]);
        ExpectDifferent(output, "out[-1, :, 10:] == ht[-1]  (the backward half of out[-1] is its FIRST step)", out1[^1, .., 10..], ht1[^1]);

        output.WriteLine();
        output.WriteLine("rnn = nn.RNN(5, 10, num_layers=2, bidirectional=True)");
        var rnn2 = new RNN(5, 10, numLayers: 2, bidirectional: true, generator: g);
        var (out2, ht2) = rnn2.Forward(input);
        ExpectShape(output, "out", out2, 6, 3, 20);
        ExpectShape(output, "ht", ht2, 4, 3, 10);
        ExpectShape(output, "ht[2:]", ht2[2..], 2, 3, 10);
        output.WriteLine("ht[2:] is the last layer: ht[2] forward, ht[3] backward; ht[0:2] is layer 0 (not in out).");
        ExpectEqual(output, "out[-1, :, :10] == ht[2]", out2[^1, .., ..10], ht2[2]);
        ExpectEqual(output, "out[0, :, 10:] == ht[3] == ht[-1]", out2[0, .., 10..], ht2[^1]);
        ExpectEqual(output, "torch.cat([ht[-2], ht[-1]], 1) == torch.cat([out[-1, :, :10], out[0, :, 10:]], 1)",
            Tensor.Cat([ht2[^2], ht2[^1]], 1), Tensor.Cat([out2[^1, .., ..10], out2[0, .., 10..]], 1));
    }
}
