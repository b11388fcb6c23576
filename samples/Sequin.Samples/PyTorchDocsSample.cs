using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Samples;

/// <summary>
/// The examples of PyTorch's own documentation: <c>nn.RNN(10, 20, 2)</c> with h0, <c>nn.LSTM(10, 20, 2)</c> with (h0, c0),
/// and a bidirectional <c>nn.GRU(2, 4, 2)</c> with h0.
/// </summary>
public sealed class PyTorchDocsSample : Sample
{
    /// <inheritdoc/>
    public override string Name => "pytorch-docs";

    /// <inheritdoc/>
    public override string Title => "RNN(10, 20, 2), LSTM(10, 20, 2) with h0/c0, bidirectional GRU(2, 4, 2) with h0";

    /// <inheritdoc/>
    public override void Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var g = new Generator(4);

        output.WriteLine("rnn = nn.RNN(10, 20, 2); input = torch.randn(5, 3, 10); h0 = torch.randn(2, 3, 20)");
        var rnn = new RNN(10, 20, 2, generator: g);
        var input = Tensor.Randn([5, 3, 10], DType.Float32, g);
        var h0 = Tensor.Randn([2, 3, 20], DType.Float32, g);
        var (rnnOut, hn) = rnn.Forward(input, h0);
        ExpectShape(output, "output", rnnOut, 5, 3, 20);
        ExpectShape(output, "hn", hn, 2, 3, 20);
        ExpectEqual(output, "output[-1] == hn[-1]", rnnOut[^1], hn[^1]);

        output.WriteLine();
        output.WriteLine("rnn = nn.LSTM(10, 20, 2); c0 = torch.randn(2, 3, 20); output, (hn, cn) = rnn(input, (h0, c0))");
        var lstm = new LSTM(10, 20, 2, generator: g);
        var c0 = Tensor.Randn([2, 3, 20], DType.Float32, g);
        var (lstmOut, lhn, lcn) = lstm.Forward(input, h0, c0);
        ExpectShape(output, "output", lstmOut, 5, 3, 20);
        ExpectShape(output, "hn", lhn, 2, 3, 20);
        ExpectShape(output, "cn", lcn, 2, 3, 20);
        ExpectEqual(output, "output[-1] == hn[-1]", lstmOut[^1], lhn[^1]);

        output.WriteLine();
        output.WriteLine("rnn = nn.GRU(2, 4, 2, bidirectional=True); input = torch.randn(2, 2, 2); h0 = torch.randn(4, 2, 4)");
        var gru = new GRU(2, 4, 2, bidirectional: true, generator: g);
        var gin = Tensor.Randn([2, 2, 2], DType.Float32, g);
        var gh0 = Tensor.Randn([4, 2, 4], DType.Float32, g); // num_layers * num_directions = 2 * 2
        var (gruOut, ghn) = gru.Forward(gin, gh0);
        ExpectShape(output, "output", gruOut, 2, 2, 8);
        ExpectShape(output, "hn", ghn, 4, 2, 4);
        ExpectEqual(output, "output[-1, :, :4] == hn[-2]   (last layer, forward)", gruOut[^1, .., ..4], ghn[^2]);
        ExpectEqual(output, "output[0, :, 4:] == hn[-1]    (last layer, backward)", gruOut[0, .., 4..], ghn[^1]);
    }
}
