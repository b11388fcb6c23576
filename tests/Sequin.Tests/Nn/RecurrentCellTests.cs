using Sequin.Autograd;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

/// <summary>Cells: agreement with a one-step layer with the same weights, unbatched shapes and finite-difference gradients.</summary>
public class RecurrentCellTests
{
    [Theory]
    [InlineData("RNN_TANH")]
    [InlineData("RNN_RELU")]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    public void Cell_EqualsOneStepOfTheLayer(string mode)
    {
        var g = new Generator(3);
        RNNBase layer = mode switch
        {
            "LSTM" => new LSTM(3, 4, dtype: DType.Float64, generator: g),
            "GRU" => new GRU(3, 4, dtype: DType.Float64, generator: g),
            _ => new RNN(3, 4, nonlinearity: mode == "RNN_RELU" ? "relu" : "tanh", dtype: DType.Float64, generator: g),
        };
        Module cell = mode switch
        {
            "LSTM" => new LSTMCell(3, 4, dtype: DType.Float64),
            "GRU" => new GRUCell(3, 4, dtype: DType.Float64),
            _ => new RNNCell(3, 4, nonlinearity: mode == "RNN_RELU" ? "relu" : "tanh", dtype: DType.Float64),
        };
        cell.LoadStateDict(layer.StateDict().ToDictionary(kv => kv.Key.Replace("_l0", ""), kv => kv.Value));
        var x = Tensor.Randn([2, 3], DType.Float64, g);
        var h = Tensor.Randn([2, 4], DType.Float64, g);
        var c = Tensor.Randn([2, 4], DType.Float64, g);
        var (_, hn, cn) = RecurrentLayerTests.Run(layer, x.Unsqueeze(0), h.Unsqueeze(0), mode == "LSTM" ? c.Unsqueeze(0) : null);
        Tensor h1;
        Tensor? c1 = null;
        switch (cell)
        {
            case LSTMCell l: (h1, c1) = l.Forward(x, h, c); break;
            case GRUCell gc: h1 = gc.Forward(x, h); break;
            default: h1 = ((RNNCell)cell).Forward(x, h); break;
        }
        Assert.True(h1.AllClose(hn.Select(0, 0), 0, 0));
        if (c1 is not null)
        {
            Assert.True(c1.AllClose(cn!.Select(0, 0), 0, 0));
        }
    }

    [Fact]
    public void UnbatchedCell_ReturnsUnbatchedState()
    {
        var cell = new LSTMCell(3, 5);
        var (h, c) = cell.Forward(Tensor.Zeros(3));
        Assert.Equal(new Shape(5), h.Shape);
        Assert.Equal(new Shape(5), c.Shape);
        Assert.Equal(new Shape(2, 5), new GRUCell(3, 5).Forward(Tensor.Zeros(2, 3)).Shape);
    }

    [Fact]
    public void LstmCell_GradientsMatchFiniteDifferences()
    {
        var cell = new LSTMCell(3, 4, dtype: DType.Float64, generator: new Generator(2));
        var g = new Generator(4);
        var x = Tensor.Randn([2, 3], DType.Float64, g, requiresGrad: true);
        var h = Tensor.Randn([2, 4], DType.Float64, g, requiresGrad: true);
        var c = Tensor.Randn([2, 4], DType.Float64, g, requiresGrad: true);
        Tensor F(Tensor[] a)
        {
            var (h1, c1) = cell.Forward(a[0], a[1], a[2]);
            return Tensor.Cat([h1, c1], 1);
        }
        var r = GradCheck.Run(F, [x, h, c, .. cell.Parameters()]);
        Assert.True(r.Passed, r.Message);
    }
}
