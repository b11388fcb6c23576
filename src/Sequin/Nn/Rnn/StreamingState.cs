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
    internal RecurrentState(RNNBase module, int batch, bool packWeights)
    {
        Module = module;
        Batch = batch;
        WeightsPacked = packWeights;
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
        RepackWeights();
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

    /// <summary>
    /// True when the state was created with <c>packWeights: true</c>: it holds its own packed copy of each layer's
    /// W_ih, W_hh (and W_hr) and steps with the weights of the moment they were packed. False (the default): every step
    /// reads the module's current weights.
    /// </summary>
    public bool WeightsPacked { get; }

    /// <summary>Per layer: the packed W_ih, W_hh and W_hr (null without projection), as PackedMatrix of the module's dtype.</summary>
    internal object?[][]? Packed { get; private set; }

    /// <summary>Steps taken since the state was created: alternate steps read the packed panels in reverse (see <see cref="RecurrentStreaming"/>).</summary>
    internal long StepCount { get; set; }

    /// <summary>
    /// Packs the module's current weights again, after they changed (an optimizer step, <c>LoadStateDict</c>, an in-place
    /// edit): a state created with <c>packWeights: true</c> keeps stepping with the weights it packed until then.
    /// Does nothing for a state that reads the live weights. h and c are kept.
    /// </summary>
    public void RepackWeights()
    {
        if (!WeightsPacked)
        {
            return;
        }
        var old = Packed;
        Packed = Module.DType == DType.Float64 ? Pack<double>(Module) : Pack<float>(Module);
        foreach (var layer in old ?? [])
        {
            foreach (var matrix in layer)
            {
                (matrix as IDisposable)?.Dispose(); // back to the pool; nothing else refers to them
            }
        }
    }

    private static object?[][] Pack<T>(RNNBase module)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var layers = module.LayerWeights;
        var packed = new object?[layers.Count][];
        for (var l = 0; l < layers.Count; l++)
        {
            var w = layers[l][0];
            packed[l] = [WeightPacking.PackTransposed<T>(w.Wih), WeightPacking.PackTransposed<T>(w.Whh), w.Whr is null ? null : WeightPacking.PackTransposed<T>(w.Whr)];
        }
        return packed;
    }

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
