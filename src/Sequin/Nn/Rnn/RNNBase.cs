using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// Shared machinery of <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/> (<c>torch.nn.RNNBase</c>):
/// the parameters under PyTorch's names, input/state validation with explanatory errors, and the multi-layer,
/// multi-direction driver over either the fused fast path or the autograd reference path.
/// </summary>
/// <remarks>
/// Parameters, per layer k and direction (suffix <c>_reverse</c> for the backward direction), in this order:
/// <c>weight_ih_l{k}</c> <c>(G·hidden_size, in_k)</c>, <c>weight_hh_l{k}</c> <c>(G·hidden_size, proj_size or hidden_size)</c>,
/// <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> <c>(G·hidden_size)</c> when <see cref="Bias"/>, and <c>weight_hr_l{k}</c>
/// <c>(proj_size, hidden_size)</c> when <see cref="ProjSize"/> &gt; 0; G = 1 (RNN), 4 (LSTM, gates i,f,g,o),
/// 3 (GRU, gates r,z,n); <c>in_0 = input_size</c>, <c>in_k = num_directions · (proj_size or hidden_size)</c>.
/// All are initialised from U(−1/√hidden_size, 1/√hidden_size).
/// </remarks>
public abstract class RNNBase : Module
{
    private readonly List<DirectionWeights[]> layerWeights = [];
    private readonly RecurrentMode mode;

    private protected RNNBase(RecurrentMode mode, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst, double dropout,
        bool bidirectional, int projSize, DType dtype, Generator? generator)
    {
        var name = ModeName(mode);
        if (inputSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSize), $"{name}: input_size must be positive (the number of features per time step); got {inputSize}.");
        }
        if (hiddenSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), $"{name}: hidden_size must be positive; got {hiddenSize}.");
        }
        if (numLayers <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numLayers), $"{name}: num_layers must be at least 1; got {numLayers}.");
        }
        if (!(dropout >= 0 && dropout <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout),
                $"{name}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed; got {dropout}.");
        }
        if (projSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(projSize), $"{name}: proj_size should be a positive integer or zero to disable projections; got {projSize}.");
        }
        if (projSize >= hiddenSize)
        {
            throw new ArgumentOutOfRangeException(nameof(projSize),
                $"{name}: proj_size has to be smaller than hidden_size; got proj_size={projSize}, hidden_size={hiddenSize}.");
        }
        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"{name}: dtype must be Float32 or Float64; got {dtype.TorchName()}.", nameof(dtype));
        }
        if (dropout > 0 && numLayers == 1)
        {
            // PyTorch emits a UserWarning here; Python prints warnings to stderr, so do we.
            Console.Error.WriteLine(
                $"Warning: {name}: dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects " +
                $"num_layers greater than 1, but got dropout={dropout} and num_layers={numLayers}.");
        }
        this.mode = mode;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Dropout = dropout;
        Bidirectional = bidirectional;
        ProjSize = projSize;
        DType = dtype;

        var g = FusedRecurrentLayer.GateCount(mode);
        var hout = projSize > 0 ? projSize : hiddenSize;
        var dirs = NumDirections;
        var k = 1.0 / Math.Sqrt(hiddenSize);
        for (var layer = 0; layer < numLayers; layer++)
        {
            var inSize = layer == 0 ? inputSize : dirs * hout;
            var ws = new DirectionWeights[dirs];
            for (var d = 0; d < dirs; d++)
            {
                var suffix = $"_l{layer}" + (d == 1 ? "_reverse" : "");
                Tensor Param(string n, params int[] shape) => RegisterParameter(n + suffix, Tensor.Rand(shape, dtype, generator, -k, k));
                var wih = Param("weight_ih", g * hiddenSize, inSize);
                var whh = Param("weight_hh", g * hiddenSize, hout);
                var bih = bias ? Param("bias_ih", g * hiddenSize) : null;
                var bhh = bias ? Param("bias_hh", g * hiddenSize) : null;
                var whr = projSize > 0 ? Param("weight_hr", projSize, hiddenSize) : null;
                ws[d] = new DirectionWeights(wih, whh, bih, bhh, whr);
            }
            layerWeights.Add(ws);
        }
    }

    /// <summary>Per layer, the weights of each direction (used by the streaming step API).</summary>
    internal IReadOnlyList<DirectionWeights[]> LayerWeights => layerWeights;

    /// <summary>The recurrence kind as an enum.</summary>
    internal RecurrentMode RecurrentMode => mode;

    private static string ModeName(RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => "LSTM",
        RecurrentMode.Gru => "GRU",
        _ => "RNN",
    };

    /// <summary>PyTorch's mode string: <c>"RNN_TANH"</c>, <c>"RNN_RELU"</c>, <c>"LSTM"</c> or <c>"GRU"</c>.</summary>
    public string Mode => mode switch
    {
        RecurrentMode.RnnTanh => "RNN_TANH",
        RecurrentMode.RnnRelu => "RNN_RELU",
        RecurrentMode.Lstm => "LSTM",
        _ => "GRU",
    };

    /// <summary>Number of features of each input time step (<c>input_size</c>).</summary>
    public int InputSize { get; }

    /// <summary>Number of features of the hidden state (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; }

    /// <summary>Number of stacked recurrent layers (<c>num_layers</c>).</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have the biases <c>b_ih</c> and <c>b_hh</c> (<c>bias</c>).</summary>
    public bool Bias { get; }

    /// <summary>Whether input and output are <c>(batch, seq, feature)</c> instead of <c>(seq, batch, feature)</c> (<c>batch_first</c>); h_0/h_n are never batch-first.</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout probability applied to the outputs of every layer but the last, in training mode only (<c>dropout</c>).</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs backwards in time (<c>bidirectional</c>); outputs then concatenate both directions.</summary>
    public bool Bidirectional { get; }

    /// <summary>LSTM only: size of the projected hidden state h (<c>proj_size</c>); 0 = no projection.</summary>
    public int ProjSize { get; }

    /// <summary>The element type of the parameters; inputs and states must have it too.</summary>
    public DType DType { get; }

    /// <summary>1, or 2 when <see cref="Bidirectional"/>.</summary>
    public int NumDirections => Bidirectional ? 2 : 1;

    /// <summary>
    /// When true, forward runs the reference path: the recurrence composed from ordinary differentiable tensor
    /// operations, step by step, instead of the fused kernels. Results agree to rounding; it exists to verify the
    /// fast path and is much slower. Default false.
    /// </summary>
    public bool UseReferenceImplementation { get; set; }

    /// <summary>Process-wide switch: when true every recurrent layer uses the reference path (for verification runs).</summary>
    public static bool ForceReferenceImplementation { get; set; }

    /// <summary>
    /// True after <see cref="PackWeights"/> (until <see cref="UnpackWeights"/>): inference forward passes read W_ih and
    /// W_hh from copies packed once, instead of packing them at every call.
    /// </summary>
    public bool WeightsPacked { get; private set; }

    /// <summary>
    /// Packs every layer's W_ih and W_hh once into the panel layout of Sequin's matrix products, for inference: forward
    /// passes that record nothing for backward (under <c>NoGrad</c>, or with parameters that do not require grad) then
    /// read the packed copies instead of packing both matrices at every call, as ONNX Runtime packs a model's weights
    /// once, when it loads it. The outputs are the same bit for bit; the saving is a copy of the weights per call (about
    /// 6 MB for an LSTM with input 256 and hidden 512).
    /// </summary>
    /// <remarks>
    /// The packed copies follow the weights through <see cref="Module.LoadStateDict"/> and training: a forward pass that
    /// records for backward (the weights are about to change) drops them, and the next inference pass packs the new
    /// weights again. An in-place edit of a weight outside of these (<c>weight_hh_l0.Copy_(…)</c> under
    /// <c>NoGrad</c>) is not seen: call <see cref="PackWeights"/> again afterwards. Calling it again repacks now.
    /// Like the module itself, the packed copies are not meant for forward passes on several threads at once.
    /// </remarks>
    public void PackWeights()
    {
        WeightsPacked = true;
        DropPackedWeights();
        EnsurePackedWeights();
    }

    /// <summary>Stops <see cref="PackWeights"/>: the packed copies go back to the pool, and every call packs the weights it uses.</summary>
    public void UnpackWeights()
    {
        WeightsPacked = false;
        DropPackedWeights();
    }

    /// <inheritdoc/>
    private protected override void OnStateLoaded() => DropPackedWeights();

    private void EnsurePackedWeights()
    {
        foreach (var layer in layerWeights)
        {
            foreach (var w in layer)
            {
                w.Packed ??= DType == DType.Float64 ? PackedDirectionWeights<double>.Pack(w) : PackedDirectionWeights<float>.Pack(w);
            }
        }
    }

    private void DropPackedWeights()
    {
        foreach (var layer in layerWeights)
        {
            foreach (var w in layer)
            {
                w.Packed?.Dispose();
                w.Packed = null;
            }
        }
    }

    /// <summary>
    /// Before a forward pass with <see cref="WeightsPacked"/>: a pass that records for backward through the weights drops
    /// the packed copies (an optimizer step will change the weights); an inference pass packs them if they were dropped.
    /// </summary>
    private void RefreshPackedWeights()
    {
        var recordsWeights = Autograd.NoGrad.IsGradEnabled && layerWeights.Any(l => l.Any(w => w.All().Any(t => t.RequiresGrad)));
        if (recordsWeights)
        {
            DropPackedWeights();
        }
        else
        {
            EnsurePackedWeights();
        }
    }

    private int OutSize => ProjSize > 0 ? ProjSize : HiddenSize;

    private string Name => ModeName(mode);

    private bool IsLstm => mode == RecurrentMode.Lstm;

    private string HiddenFormula => IsLstm ? "proj_size or hidden_size" : "hidden_size";

    private string DirectionNote => Bidirectional
        ? " num_directions is 2 because bidirectional=true."
        : " num_directions is 1 because bidirectional=false.";

    /// <summary>Runs the tensor (unpacked) form: validation, layout, layers, and the output layout.</summary>
    private protected (Tensor Output, Tensor HN, Tensor? CN) ForwardTensor(Tensor input, Tensor? h0, Tensor? c0)
    {
        ArgumentNullException.ThrowIfNull(input);
        ValidateInput(input, h0);
        var batched = input.Dim == 3;
        var x3 = batched ? (BatchFirst ? input.Transpose(0, 1) : input) : input.Unsqueeze(1);
        int steps = x3.Size(0), batch = x3.Size(1);
        ValidateStates(h0, c0, batch, batched);
        var h0b = h0 is null ? null : batched ? h0 : h0.Unsqueeze(1);
        var c0b = c0 is null ? null : batched ? c0 : c0.Unsqueeze(1);
        var data = x3.Contiguous().View(steps * batch, InputSize);
        var (y, hn, cn) = RunLayers(data, TimeLayout.Dense(steps, batch), h0b, c0b);
        var output = y.View(steps, batch, NumDirections * OutSize);
        if (!batched)
        {
            return (output.Squeeze(1), hn.Squeeze(1), cn?.Squeeze(1));
        }
        return (BatchFirst ? output.Transpose(0, 1) : output, hn, cn);
    }

    /// <summary>Runs the packed form.</summary>
    private protected (PackedSequence Output, Tensor HN, Tensor? CN) ForwardPacked(PackedSequence input, Tensor? h0, Tensor? c0)
    {
        ArgumentNullException.ThrowIfNull(input);
        var data = input.Data;
        if (data.Dim != 2 || data.Size(1) != InputSize)
        {
            throw new ArgumentException(
                $"{Name} expected PackedSequence.Data of shape (sum(lengths), input_size) = (sum(lengths), {InputSize}); got {data.Shape}. " +
                (data.Dim == 2
                    ? $"The packed rows have {data.Size(1)} features but the layer was built with input_size={InputSize}: pack the right tensor, or build the layer with inputSize: {data.Size(1)}."
                    : "Pack a (seq_len, batch, input_size) tensor (or (batch, seq_len, input_size) with batchFirst: true) with RnnUtils.PackPaddedSequence."),
                nameof(input));
        }
        CheckDType(data, "PackedSequence.Data");
        var batchSizes = input.BatchSizesArray();
        var batch = batchSizes.Length == 0 ? 0 : batchSizes[0];
        ValidateStates(h0, c0, batch, true);
        var sorted = input.SortedIndices is null ? null : Array.ConvertAll(input.SortedIndices.ToArray<long>(), v => (int)v);
        var (y, hn, cn) = RunLayers(data.Contiguous(), new TimeLayout(batchSizes, sorted), h0, c0);
        return (new PackedSequence(y, input.BatchSizes, input.SortedIndices, input.UnsortedIndices), hn, cn);
    }

    private (Tensor Y, Tensor HN, Tensor? CN) RunLayers(Tensor data, TimeLayout layout, Tensor? h0, Tensor? c0)
    {
        var dirs = NumDirections;
        var h0All = h0 ?? Tensor.Zeros([NumLayers * dirs, layout.Batch, OutSize], DType);
        var c0All = IsLstm ? c0 ?? Tensor.Zeros([NumLayers * dirs, layout.Batch, HiddenSize], DType) : null;
        var useReference = UseReferenceImplementation || ForceReferenceImplementation;
        if (WeightsPacked)
        {
            RefreshPackedWeights();
        }
        var x = data;
        var hns = new List<Tensor>();
        var cns = new List<Tensor>();
        for (var layer = 0; layer < NumLayers; layer++)
        {
            var h0l = h0All.Narrow(0, layer * dirs, dirs);
            var c0l = c0All?.Narrow(0, layer * dirs, dirs);
            var (y, hn, cn) = useReference
                ? ReferenceRecurrentLayer.Forward(mode, x, layout, h0l, c0l, layerWeights[layer], HiddenSize, ProjSize)
                : FusedRecurrentLayer.Forward(mode, x, layout, h0l, c0l, layerWeights[layer], HiddenSize, ProjSize);
            hns.Add(hn);
            if (cn is not null)
            {
                cns.Add(cn);
            }
            x = Training && Dropout > 0 && layer < NumLayers - 1 ? ApplyDropout(y) : y;
        }
        var hnAll = hns.Count == 1 ? hns[0] : Tensor.Cat(hns, 0);
        var cnAll = cns.Count == 0 ? null : cns.Count == 1 ? cns[0] : Tensor.Cat(cns, 0);
        return (x, hnAll, cnAll);
    }

    private Tensor ApplyDropout(Tensor y)
    {
        var keep = 1 - Dropout;
        var scale = keep > 0 ? 1 / keep : 0;
        var g = Generator.Default;
        var mask = new double[y.Numel];
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = g.NextDouble() < keep ? scale : 0;
        }
        return y.Mul(Tensor.FromArray(mask, y.ShapeArray).To(y.DType));
    }

    private void CheckDType(Tensor t, string what)
    {
        if (t.DType != DType)
        {
            throw new ArgumentException(
                $"{Name}: {what} is {t.DType.TorchName()} but the layer's parameters are {DType.TorchName()}; convert it with " +
                $".To(DType.{DType}) or build the layer with dtype: DType.{t.DType}.");
        }
    }

    private void ValidateInput(Tensor input, Tensor? h0)
    {
        var layoutText = BatchFirst ? "(batch, seq_len, input_size)" : "(seq_len, batch, input_size)";
        if (input.Dim != 2 && input.Dim != 3)
        {
            throw new ArgumentException(
                $"{Name}: expected input to be 2-D or 3-D: {layoutText} because batch_first={(BatchFirst ? "true" : "false")}, or (seq_len, input_size) " +
                $"for a single unbatched sequence; got a {input.Dim}-D tensor of shape {input.Shape}. " +
                (input.Dim == 1
                    ? "A single time step of a single sequence needs Unsqueeze(0) to become (1, input_size)."
                    : "Reshape or select so that only the sequence, batch and feature dimensions remain."),
                nameof(input));
        }
        if (input.Size(-1) != InputSize)
        {
            var hint = input.Shape.ToArray().Take(input.Dim - 1).Contains(InputSize)
                ? $" Another dimension has size {InputSize}: the features may be in the wrong place; permute the input so they are last."
                : $" Either the data has {input.Size(-1)} features per step and the layer should be built with inputSize: {input.Size(-1)}, or the wrong tensor was passed.";
            throw new ArgumentException(
                $"{Name}: input.size(-1) must be equal to input_size. Expected {InputSize}, got {input.Size(-1)} " +
                $"(input of shape {input.Shape}, expected {(input.Dim == 3 ? layoutText : "(seq_len, input_size)")} with input_size={InputSize}).{hint}",
                nameof(input));
        }
        CheckDType(input, "input");
        if (h0 is not null && input.Dim == 3 && h0.Dim == 3 && !BatchFirst)
        {
            var batch = input.Size(1);
            if (h0.Size(1) != batch && input.Size(0) == h0.Size(1))
            {
                throw new ArgumentException(
                    $"{Name}: input has shape {input.Shape}, read as (seq_len, batch, input_size) = ({input.Size(0)}, {input.Size(1)}, {input.Size(2)}) " +
                    $"because batch_first=false, but h_0 has shape {h0.Shape} with batch {h0.Size(1)} = input.size(0). The input looks " +
                    $"batch-first (batch, seq_len, input_size): build the layer with batchFirst: true, or pass input.Transpose(0, 1).",
                    nameof(input));
            }
        }
    }

    private void ValidateStates(Tensor? h0, Tensor? c0, int batch, bool batched)
    {
        var ld = NumLayers * NumDirections;
        if (IsLstm && (h0 is null) != (c0 is null))
        {
            throw new ArgumentException(
                $"LSTM got {(h0 is null ? "c_0 but no h_0" : "h_0 but no c_0")}: pass both initial states (h_0, c_0) or neither " +
                $"(both then default to zeros). c_0 has shape (num_layers * num_directions, batch, hidden_size) = ({ld}, {batch}, {HiddenSize}).",
                h0 is null ? "h0" : "c0");
        }
        if (h0 is not null)
        {
            CheckState(h0, "h_0", HiddenFormula, OutSize, ld, batch, batched);
        }
        if (c0 is not null)
        {
            CheckState(c0, "c_0", "hidden_size", HiddenSize, ld, batch, batched);
        }
    }

    private void CheckState(Tensor s, string name, string hiddenFormula, int hidden, int ld, int batch, bool batched)
    {
        var expected = batched ? new[] { ld, batch, hidden } : [ld, hidden];
        var formula = batched
            ? $"(num_layers * num_directions, batch, {hiddenFormula})"
            : $"(num_layers * num_directions, {hiddenFormula})";
        if (s.Shape == new Shape(expected))
        {
            CheckDType(s, name);
            return;
        }
        var msg = $"{Name} expected {name} of shape {formula} = {ShapeUtil.Format(expected)}; got {s.Shape}.";
        var dims = s.Shape.ToArray();
        if (!batched && s.Dim == 3)
        {
            msg += $" The input is unbatched (2-D), so {name} must be 2-D too: drop the batch dimension (e.g. {name.Replace("_", "")}.Squeeze(1)).";
        }
        else if (batched && s.Dim == 2)
        {
            msg += $" The input is batched (3-D), so {name} must be 3-D too: add the batch dimension (e.g. {name.Replace("_", "")}.Unsqueeze(1)).";
        }
        else if (batched && s.Dim == 3 && dims[0] == batch && dims[1] == ld && dims[2] == hidden && batch != ld)
        {
            msg += $" It looks like {name} was built as (batch, num_layers * num_directions, hidden). {name} is never batch-first, even with " +
                   $"batch_first=true: use {name.Replace("_", "")}.Transpose(0, 1).Contiguous().";
        }
        else if (s.Dim == expected.Length)
        {
            if (dims[0] != ld)
            {
                msg += $" Dimension 0 must be num_layers * num_directions = {NumLayers} * {NumDirections} = {ld}.{DirectionNote}";
            }
            if (batched && dims[1] != batch)
            {
                msg += $" Dimension 1 must be the batch size of the input, {batch}.";
            }
            if (dims[^1] != hidden)
            {
                msg += IsLstm && name == "h_0" && ProjSize > 0
                    ? $" The last dimension must be proj_size = {ProjSize} (h is projected from hidden_size={HiddenSize} to proj_size)."
                    : $" The last dimension must be hidden_size = {HiddenSize}.";
            }
        }
        throw new ArgumentException(msg, name.Replace("_", ""));
    }
}
