using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Explain;

/// <summary>The mistakes the seed articles warn about produce messages that say what went wrong and how to fix it.</summary>
public class TeachingErrorTests
{
    [Fact]
    public void BatchFirstInput_WithoutBatchFirst_SuggestsBatchFirst()
    {
        var lstm = new LSTM(10, 20);
        var input = Tensor.Randn(3, 5, 10); // (batch, seq_len, input_size), but batch_first=false
        var h0 = Tensor.Zeros(1, 3, 20);
        var c0 = Tensor.Zeros(1, 3, 20);
        var e = Assert.Throws<ArgumentException>(() => lstm.Forward(input, h0, c0));
        Assert.Contains("batch_first=false", e.Message, StringComparison.Ordinal);
        Assert.Contains("batchFirst: true", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingC0_SaysPassBothOrNeither()
    {
        var lstm = new LSTM(10, 20, numLayers: 2);
        var e = Assert.Throws<ArgumentException>(() => lstm.Forward(Tensor.Randn(5, 3, 10), Tensor.Zeros(2, 3, 20)));
        Assert.Contains("h_0 but no c_0", e.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3, 20)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void H0BuiltBatchFirst_SaysStatesAreNeverBatchFirst()
    {
        var rnn = new RNN(10, 20, numLayers: 2, batchFirst: true);
        var input = Tensor.Randn(3, 5, 10); // (batch, seq_len, input_size)
        var h0 = Tensor.Zeros(3, 2, 20);     // (batch, num_layers, hidden): the mistake
        var e = Assert.Throws<ArgumentException>(() => rnn.Forward(input, h0));
        Assert.Contains("(num_layers * num_directions, batch, hidden_size) = (2, 3, 20)", e.Message, StringComparison.Ordinal);
        Assert.Contains("never batch-first", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 2, 20)", e.Message, StringComparison.Ordinal);
    }
}
