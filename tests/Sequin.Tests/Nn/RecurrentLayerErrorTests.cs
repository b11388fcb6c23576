using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

/// <summary>Shape errors of the recurrent layers name the argument, the expected shape and formula, what arrived, and a fix.</summary>
public class RecurrentLayerErrorTests
{
    private static string Message(Action a) => Assert.ThrowsAny<ArgumentException>(a).Message;

    [Fact]
    public void WrongInputRank_NamesBothAcceptedLayouts()
    {
        var m = new LSTM(4, 5);
        var msg = Message(() => m.Forward(Tensor.Zeros(2, 3, 4, 4)));
        Assert.Contains("2-D or 3-D", msg);
        Assert.Contains("(seq_len, batch, input_size)", msg);
        Assert.Contains("(2, 3, 4, 4)", msg);
    }

    [Fact]
    public void WrongInputSize_ShowsExpectedAndActualFeatures()
    {
        var m = new GRU(10, 5);
        var msg = Message(() => m.Forward(Tensor.Zeros(7, 3, 8)));
        Assert.Contains("input_size", msg);
        Assert.Contains("Expected 10, got 8", msg);
        Assert.Contains("(7, 3, 8)", msg);
        Assert.Contains("inputSize: 8", msg);
    }

    [Fact]
    public void FeaturesInTheWrongPlace_SuggestsPermuting()
    {
        var m = new RNN(10, 5);
        var msg = Message(() => m.Forward(Tensor.Zeros(7, 10, 3)));
        Assert.Contains("permute", msg);
    }

    [Fact]
    public void BatchFirstInputWithoutBatchFirst_IsRecognisedFromH0()
    {
        var m = new LSTM(4, 6);
        // (batch=3, seq=7, input=4) passed to a seq-first layer with h0 for batch 3.
        var msg = Message(() => m.Forward(Tensor.Zeros(3, 7, 4), Tensor.Zeros(1, 3, 6), Tensor.Zeros(1, 3, 6)));
        Assert.Contains("batchFirst: true", msg);
        Assert.Contains("Transpose(0, 1)", msg);
        Assert.Contains("batch_first=false", msg);
    }

    [Fact]
    public void H0WithWrongLayersTimesDirections_ExplainsTheFormula()
    {
        var m = new LSTM(4, 10, numLayers: 2, bidirectional: true);
        var msg = Message(() => m.Forward(Tensor.Zeros(5, 3, 4), Tensor.Zeros(2, 3, 10), Tensor.Zeros(4, 3, 10)));
        Assert.Contains("LSTM expected h_0 of shape (num_layers * num_directions, batch, proj_size or hidden_size) = (4, 3, 10); got (2, 3, 10).", msg);
        Assert.Contains("num_directions is 2 because bidirectional=true", msg);
    }

    [Fact]
    public void H0WithWrongBatchOrHidden_SaysWhichDimension()
    {
        var m = new GRU(4, 10);
        var batchMsg = Message(() => m.Forward(Tensor.Zeros(5, 3, 4), Tensor.Zeros(1, 2, 10)));
        Assert.Contains("(1, 3, 10); got (1, 2, 10)", batchMsg);
        Assert.Contains("batch size of the input, 3", batchMsg);
        var hiddenMsg = Message(() => m.Forward(Tensor.Zeros(5, 3, 4), Tensor.Zeros(1, 3, 9)));
        Assert.Contains("hidden_size = 10", hiddenMsg);
        var lstm = new LSTM(4, 10, projSize: 3);
        var projMsg = Message(() => lstm.Forward(Tensor.Zeros(5, 3, 4), Tensor.Zeros(1, 3, 10), Tensor.Zeros(1, 3, 10)));
        Assert.Contains("(1, 3, 3); got (1, 3, 10)", projMsg);
        Assert.Contains("proj_size = 3", projMsg);
    }

    [Fact]
    public void H0BuiltBatchFirst_IsRecognised()
    {
        var m = new GRU(4, 6, numLayers: 2, batchFirst: true);
        var msg = Message(() => m.Forward(Tensor.Zeros(3, 5, 4), Tensor.Zeros(3, 2, 6)));
        Assert.Contains("(batch, num_layers * num_directions, hidden)", msg);
        Assert.Contains("never batch-first", msg);
        Assert.Contains("Transpose(0, 1)", msg);
    }

    [Fact]
    public void LstmWithOnlyOneState_AsksForBoth()
    {
        var m = new LSTM(4, 6);
        var msg = Message(() => m.Forward(Tensor.Zeros(5, 3, 4), Tensor.Zeros(1, 3, 6)));
        Assert.Contains("h_0 but no c_0", msg);
        Assert.Contains("(1, 3, 6)", msg);
        var msg2 = Message(() => m.Forward(Tensor.Zeros(5, 3, 4), null, Tensor.Zeros(1, 3, 6)));
        Assert.Contains("c_0 but no h_0", msg2);
    }

    [Fact]
    public void C0WithWrongShape_UsesHiddenSizeFormula()
    {
        var m = new LSTM(4, 6, projSize: 2);
        var msg = Message(() => m.Forward(Tensor.Zeros(5, 3, 4), Tensor.Zeros(1, 3, 2), Tensor.Zeros(1, 3, 2)));
        Assert.Contains("c_0 of shape (num_layers * num_directions, batch, hidden_size) = (1, 3, 6); got (1, 3, 2)", msg);
    }

    [Fact]
    public void UnbatchedInputWith3DState_AsksFor2D()
    {
        var m = new RNN(4, 6);
        var msg = Message(() => m.Forward(Tensor.Zeros(5, 4), Tensor.Zeros(1, 1, 6)));
        Assert.Contains("(num_layers * num_directions, hidden_size) = (1, 6); got (1, 1, 6)", msg);
        Assert.Contains("unbatched", msg);
    }

    [Fact]
    public void PackedDataWithWrongFeatures_NamesPackedShape()
    {
        var m = new GRU(4, 6);
        var p = new PackedSequence(Tensor.Zeros(6, 3), Tensor.FromArray([3L, 2L, 1L], 3));
        var msg = Message(() => m.Forward(p));
        Assert.Contains("PackedSequence.Data of shape (sum(lengths), input_size) = (sum(lengths), 4); got (6, 3)", msg);
        Assert.Contains("inputSize: 3", msg);
    }

    [Fact]
    public void DTypeMismatch_SaysHowToConvert()
    {
        var m = new LSTM(4, 6);
        var msg = Message(() => m.Forward(Tensor.Zeros([5, 3, 4], DType.Float64)));
        Assert.Contains("torch.float64", msg);
        Assert.Contains(".To(DType.Float32)", msg);
    }

    [Fact]
    public void ConstructorArguments_AreValidated()
    {
        Assert.Contains("proj_size has to be smaller than hidden_size", Message(() => new LSTM(3, 4, projSize: 4)));
        Assert.Contains("'gelu'", Message(() => new RNN(3, 4, nonlinearity: "gelu")));
        Assert.Contains("dropout", Message(() => new GRU(3, 4, dropout: 1.5)));
    }

    [Fact]
    public void DropoutWithOneLayer_WarnsOnStandardError()
    {
        var old = Console.Error;
        var sw = new StringWriter();
        Console.SetError(sw);
        try
        {
            _ = new GRU(3, 4, dropout: 0.2);
        }
        finally
        {
            Console.SetError(old);
        }
        Assert.Contains("non-zero dropout expects num_layers greater than 1", sw.ToString());
        Assert.Contains("dropout=0.2 and num_layers=1", sw.ToString());
    }

    [Fact]
    public void CellErrors_NameTheState()
    {
        var cell = new LSTMCell(4, 6);
        Assert.Contains("hx but no cx", Message(() => cell.Forward(Tensor.Zeros(2, 4), Tensor.Zeros(2, 6))));
        var gru = new GRUCell(4, 6);
        var msg = Message(() => gru.Forward(Tensor.Zeros(2, 4), Tensor.Zeros(3, 6)));
        Assert.Contains("hx of shape (batch, hidden_size) = (2, 6); got (3, 6)", msg);
        Assert.Contains("one time step", Message(() => gru.Forward(Tensor.Zeros(5, 2, 4))));
    }
}
