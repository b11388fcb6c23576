using System.Numerics;
using Sequin.Kernels;
using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// Streaming inference: run a unidirectional recurrent stack one time step at a time with a caller-owned
/// <see cref="RecurrentState"/>, e.g. for live audio or token-by-token generation.
/// </summary>
/// <remarks>
/// <code>
/// var state = lstm.CreateState(batch);           // h, c = zeros
/// lstm.Step(x_t, state, y_t);                    // x_t: (batch, input_size), y_t: (batch, proj_size or hidden_size)
/// var fast = lstm.CreateState(batch, packWeights: true); // its own packed copy of the weights: faster steps,
///                                                // until the weights change (then fast.RepackWeights())
/// </code>
/// A sequence of steps gives the same numbers as <c>Forward</c> on the whole sequence (same kernels; rounding may differ
/// in the last bits). Steps run in inference mode: no autograd, no inter-layer dropout. After the first step nothing is
/// allocated: products big enough to be split across threads run on Sequin's worker pool, which allocates nothing per
/// job (its threads are started once, by the first split product).
/// Bidirectional modules cannot stream: their reverse direction needs the end of the sequence.
/// </remarks>
public static class RecurrentStreaming
{
    /// <summary>Creates zeroed state for <paramref name="batch"/> sequences stepped together.</summary>
    /// <param name="module">A unidirectional RNN, LSTM or GRU.</param>
    /// <param name="batch">Sequences stepped together: every step takes a <c>(batch, input_size)</c> input.</param>
    /// <param name="packWeights">
    /// Pack each layer's weights once into the state, in the panel layout of the full-sequence layers, so a step reads
    /// them as contiguous streams instead of row by row (one-sequence steps of an LSTM or GRU with 128 hidden units
    /// measured about a third faster). The state then steps with the weights of the moment it was created, like an
    /// inference session: after changing the module's weights call <see cref="RecurrentState.RepackWeights"/> or create
    /// a new state. Default false: every step reads the module's current weights.
    /// </param>
    /// <exception cref="ArgumentException">The module is bidirectional, or batch is not positive.</exception>
    public static RecurrentState CreateState(this RNNBase module, int batch, bool packWeights = false)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module.Bidirectional)
        {
            throw new ArgumentException(
                $"{module.Mode}: streaming needs a unidirectional module; this one has bidirectional=true, whose reverse direction " +
                "reads the sequence from its end. Run Forward on the whole sequence instead.", nameof(module));
        }
        if (batch <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{module.Mode}.CreateState: batch must be positive; got {batch}.");
        }
        return new RecurrentState(module, batch, packWeights);
    }

    /// <summary>
    /// One time step for float32 modules. <paramref name="input"/>: <c>(batch, input_size)</c> row-major;
    /// <paramref name="output"/>: <c>(batch, proj_size or hidden_size)</c>, the top layer's new h (also left in
    /// <see cref="RecurrentState.H"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Wrong lengths, dtype, or a state made for another module.</exception>
    public static void Step(this RNNBase module, ReadOnlySpan<float> input, RecurrentState state, Span<float> output)
        => StepCore(module, input, state, output, DType.Float32);

    /// <summary>One time step for float64 modules; see <see cref="Step(RNNBase, ReadOnlySpan{float}, RecurrentState, Span{float})"/>.</summary>
    /// <exception cref="ArgumentException">Wrong lengths, dtype, or a state made for another module.</exception>
    public static void Step(this RNNBase module, ReadOnlySpan<double> input, RecurrentState state, Span<double> output)
        => StepCore(module, input, state, output, DType.Float64);

    /// <summary>
    /// One time step on tensors: <paramref name="input"/> <c>(batch, input_size)</c> → a new <c>(batch, proj_size or hidden_size)</c>
    /// tensor (allocates the result; use the span overloads in hot loops).
    /// </summary>
    /// <exception cref="ArgumentException">Wrong shape or dtype, or a state made for another module.</exception>
    public static Tensor Step(this RNNBase module, Tensor input, RecurrentState state)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(state);
        if (input.Dim != 2 || input.Size(0) != state.Batch || input.Size(1) != module.InputSize)
        {
            throw new ArgumentException(
                $"{module.Mode}.Step: expected input of shape (batch, input_size) = ({state.Batch}, {module.InputSize}); got {input.Shape}. " +
                "batch comes from CreateState(batch); one step takes one time slice of a (seq, batch, input_size) input.", nameof(input));
        }
        var hout = module.ProjSize > 0 ? module.ProjSize : module.HiddenSize;
        var x = input.Contiguous();
        var y = Tensor.Zeros([state.Batch, hout], module.DType);
        if (module.DType == DType.Float64)
        {
            StepCore<double>(module, x.Data<double>().AsSpan(x.Offset, x.Numel), state, y.Data<double>(), DType.Float64);
        }
        else
        {
            StepCore<float>(module, x.Data<float>().AsSpan(x.Offset, x.Numel), state, y.Data<float>(), DType.Float32);
        }
        return y;
    }

    private static Span<T> Data<T>(Tensor? t)
        where T : unmanaged
        => t is null ? [] : t.Data<T>().AsSpan(t.Offset, t.Numel);

    private static void StepCore<T>(RNNBase module, ReadOnlySpan<T> input, RecurrentState state, Span<T> output, DType dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(state);
        var name = module.Mode;
        if (!ReferenceEquals(state.Module, module))
        {
            throw new ArgumentException($"{name}.Step: this state was created by another module; create one with module.CreateState(batch).", nameof(state));
        }
        if (module.DType != dtype)
        {
            throw new ArgumentException(
                $"{name}.Step: the module is {module.DType} but the spans are {dtype}; use the {module.DType} overload or convert the module.", nameof(input));
        }
        int b = state.Batch, h = module.HiddenSize, hout = module.ProjSize > 0 ? module.ProjSize : h;
        var mode = module.RecurrentMode;
        var gh = FusedRecurrentLayer.GateCount(mode) * h;
        if (input.Length != b * module.InputSize)
        {
            throw new ArgumentException(
                $"{name}.Step: expected input of shape (batch, input_size) = ({b}, {module.InputSize}), i.e. {b * module.InputSize} values; got {input.Length}.",
                nameof(input));
        }
        if (output.Length < b * hout)
        {
            throw new ArgumentException(
                $"{name}.Step: output must hold (batch, {(module.ProjSize > 0 ? "proj_size" : "hidden_size")}) = ({b}, {hout}) = {b * hout} values; got {output.Length}.",
                nameof(output));
        }
        var hAll = Data<T>(state.H);
        var cAll = Data<T>(state.C);
        var xg = ((T[])state.Xg).AsSpan();
        var hg = ((T[])state.Hg).AsSpan();
        var scratch = ((T[])state.Scratch).AsSpan();
        var layerIn = input;
        var inSize = module.InputSize;
        var weights = module.LayerWeights;
        var packed = state.Packed;
        // Alternate steps walk packed panels in reverse: the panels read last are still in cache and are read first.
        var reverse = (state.StepCount++ & 1) == 1;
        for (var l = 0; l < module.NumLayers; l++)
        {
            var w = weights[l][0];
            var bih = Data<T>(w.Bih);
            var hl = hAll.Slice(l * b * hout, b * hout);
            // Gate pre-activations: xg = x·W_ihᵀ + b_ih, hg = h·W_hhᵀ (b_hh is added by the fused kernel).
            if (!bih.IsEmpty)
            {
                for (var i = 0; i < b; i++)
                {
                    bih.CopyTo(xg.Slice(i * gh, gh));
                }
            }
            var p = packed?[l];
            Product(p?[0], w.Wih, b, layerIn, bih.IsEmpty ? T.Zero : T.One, xg, reverse);
            Product(p?[1], w.Whh, b, hl, T.Zero, hg, reverse);
            var bhh = Data<T>(w.Bhh);
            switch (mode)
            {
                case RecurrentMode.Lstm:
                    var cl = cAll.Slice(l * b * h, b * h);
                    if (w.Whr is null)
                    {
                        RecurrentKernels.LstmForward<T>(xg, hg, bhh, cl, default, cl, hl, b, h);
                    }
                    else
                    {
                        RecurrentKernels.LstmForward<T>(xg, hg, bhh, cl, default, cl, scratch, b, h);
                        Product(p?[2], w.Whr, b, scratch, T.Zero, hl, reverse);
                    }
                    break;
                case RecurrentMode.Gru:
                    RecurrentKernels.GruForward<T>(xg, hg, bhh, hl, default, default, hl, b, h);
                    break;
                default:
                    RecurrentKernels.RnnForward<T>(mode == RecurrentMode.RnnRelu, xg, hg, bhh, hl, b, h);
                    break;
            }
            layerIn = hl;
            inSize = hout;
        }
        layerIn.CopyTo(output);
    }

    /// <summary>
    /// <c>c = a · Wᵀ + beta·c</c> for <paramref name="m"/> rows, W <c>(n × k)</c>: from the state's packed copy of W when it has
    /// one (<paramref name="packed"/>, panels walked in reverse on alternate steps), else from the module's weight itself.
    /// </summary>
    private static void Product<T>(object? packed, Tensor w, int m, ReadOnlySpan<T> a, T beta, Span<T> c, bool reverse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = w.Size(0), k = w.Size(1);
        if (packed is PackedMatrix<T> pm)
        {
            pm.Multiply(m, T.One, a, k, beta, c, n, reverse);
        }
        else
        {
            Gemm.Compute(false, true, m, n, k, T.One, a, k, Data<T>(w), k, beta, c, n);
        }
    }
}
