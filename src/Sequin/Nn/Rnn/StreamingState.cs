using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// The caller-owned state of a unidirectional <see cref="RNN"/>, <see cref="LSTM"/> or <see cref="GRU"/> run one
/// time step at a time (<see cref="RecurrentStreaming.Step(RNNBase, ReadOnlySpan{float}, RecurrentState, Span{float})"/>).
/// Create it with <see cref="RecurrentStreaming.CreateState"/>; it holds the hidden state, the LSTM cell state and
/// the scratch memory of a step, so stepping allocates nothing.
/// </summary>
public sealed class RecurrentState
{
    internal RecurrentState(RNNBase module, int batch)
    {
        Module = module;
        Batch = batch;
        var hout = module.ProjSize > 0 ? module.ProjSize : module.HiddenSize;
        var h = module.HiddenSize;
        var gh = FusedRecurrentLayer.GateCount(module.RecurrentMode) * h;
        H = Tensor.Zeros([module.NumLayers, batch, hout], module.DType);
        C = module.RecurrentMode == RecurrentMode.Lstm ? Tensor.Zeros([module.NumLayers, batch, h], module.DType) : null;
        if (module.DType == DType.Float64)
        {
            Xg = new double[batch * gh];
            Hg = new double[batch * gh];
            Scratch = new double[batch * h];
        }
        else
        {
            Xg = new float[batch * gh];
            Hg = new float[batch * gh];
            Scratch = new float[batch * h];
        }
    }

    /// <summary>The module this state belongs to.</summary>
    public RNNBase Module { get; }

    /// <summary>The number of sequences stepped together.</summary>
    public int Batch { get; }

    /// <summary>
    /// The hidden state of every layer after the last step, <c>(num_layers, batch, proj_size or hidden_size)</c>;
    /// zeros after <see cref="Reset"/>. Write into it (e.g. <c>H.Copy_(h0)</c> under <c>NoGrad</c>) to start from a given h_0.
    /// </summary>
    public Tensor H { get; }

    /// <summary>The LSTM cell state <c>(num_layers, batch, hidden_size)</c>; null for RNN and GRU.</summary>
    public Tensor? C { get; }

    internal Array Xg { get; }

    internal Array Hg { get; }

    internal Array Scratch { get; }

    /// <summary>Sets h (and c) back to zeros, to start new sequences.</summary>
    public void Reset()
    {
        Array.Clear(H.Storage);
        if (C is not null)
        {
            Array.Clear(C.Storage);
        }
    }
}
