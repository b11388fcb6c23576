using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// Shared machinery of <see cref="RNNCell"/>, <see cref="LSTMCell"/> and <see cref="GRUCell"/>
/// (<c>torch.nn.RNNCellBase</c>): one time step, parameters <c>weight_ih</c> <c>(G·hidden_size, input_size)</c>,
/// <c>weight_hh</c> <c>(G·hidden_size, hidden_size)</c>, <c>bias_ih</c>, <c>bias_hh</c> <c>(G·hidden_size)</c>,
/// initialised from U(−1/√hidden_size, 1/√hidden_size). A cell step runs the same fused kernels as the layers.
/// </summary>
public abstract class RecurrentCellBase : Module
{
    private readonly RecurrentMode mode;
    private readonly DirectionWeights weights;

    private protected RecurrentCellBase(RecurrentMode mode, int inputSize, int hiddenSize, bool bias, DType dtype, Generator? generator)
    {
        var name = CellName(mode);
        if (inputSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSize), $"{name}: input_size must be positive; got {inputSize}.");
        }
        if (hiddenSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), $"{name}: hidden_size must be positive; got {hiddenSize}.");
        }
        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"{name}: dtype must be Float32 or Float64; got {dtype.TorchName()}.", nameof(dtype));
        }
        this.mode = mode;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Bias = bias;
        DType = dtype;
        var g = FusedRecurrentLayer.GateCount(mode);
        var k = 1.0 / Math.Sqrt(hiddenSize);
        Tensor Param(string n, params int[] shape) => RegisterParameter(n, Tensor.Rand(shape, dtype, generator, -k, k));
        var wih = Param("weight_ih", g * hiddenSize, inputSize);
        var whh = Param("weight_hh", g * hiddenSize, hiddenSize);
        var bih = bias ? Param("bias_ih", g * hiddenSize) : null;
        var bhh = bias ? Param("bias_hh", g * hiddenSize) : null;
        weights = new DirectionWeights(wih, whh, bih, bhh, null);
    }

    private static string CellName(RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => "LSTMCell",
        RecurrentMode.Gru => "GRUCell",
        _ => "RNNCell",
    };

    /// <summary>Number of input features (<c>input_size</c>).</summary>
    public int InputSize { get; }

    /// <summary>Number of hidden features (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; }

    /// <summary>Whether the cell has the biases b_ih and b_hh (<c>bias</c>).</summary>
    public bool Bias { get; }

    /// <summary>The element type of the parameters.</summary>
    public DType DType { get; }

    /// <summary>Runs one step. <paramref name="input"/>: (batch, input_size) or (input_size); states (batch, hidden) or (hidden).</summary>
    private protected (Tensor H, Tensor? C) Step(Tensor input, Tensor? hx, Tensor? cx)
    {
        ArgumentNullException.ThrowIfNull(input);
        var name = CellName(mode);
        if (input.Dim != 1 && input.Dim != 2)
        {
            throw new ArgumentException(
                $"{name}: expected input to be 1-D (input_size) or 2-D (batch, input_size); got a {input.Dim}-D tensor of shape {input.Shape}. " +
                (input.Dim == 3 ? "A cell runs one time step: pass input[t] for step t, or use the layer (RNN/LSTM/GRU) for whole sequences." : ""),
                nameof(input));
        }
        if (input.Size(-1) != InputSize)
        {
            throw new ArgumentException(
                $"{name}: input.size(-1) must be equal to input_size. Expected {InputSize}, got {input.Size(-1)} (input of shape {input.Shape}). " +
                $"Build the cell with inputSize: {input.Size(-1)}, or pass the intended tensor.", nameof(input));
        }
        if (input.DType != DType)
        {
            throw new ArgumentException(
                $"{name}: input is {input.DType.TorchName()} but the cell's parameters are {DType.TorchName()}; convert with .To(DType.{DType}).", nameof(input));
        }
        var batched = input.Dim == 2;
        var batch = batched ? input.Size(0) : 1;
        CheckState(name, hx, "hx", batched, batch);
        CheckState(name, cx, "cx", batched, batch);
        var x = batched ? input : input.Unsqueeze(0);
        Tensor State(Tensor? s) => s is null ? Tensor.Zeros([1, batch, HiddenSize], DType) : (batched ? s : s.Unsqueeze(0)).Unsqueeze(0);
        var h0 = State(hx);
        var c0 = mode == RecurrentMode.Lstm ? State(cx) : null;
        var (_, hn, cn) = FusedRecurrentLayer.Forward(mode, x.Contiguous(), TimeLayout.Dense(1, batch), h0, c0, [weights], HiddenSize, 0);
        var h = hn.Select(0, 0);
        var c = cn?.Select(0, 0);
        return batched ? (h, c) : (h.Squeeze(0), c?.Squeeze(0));
    }

    private void CheckState(string name, Tensor? s, string what, bool batched, int batch)
    {
        if (s is null)
        {
            return;
        }
        var expected = batched ? new[] { batch, HiddenSize } : [HiddenSize];
        if (s.Shape != new Shape(expected))
        {
            throw new ArgumentException(
                $"{name} expected {what} of shape {(batched ? "(batch, hidden_size)" : "(hidden_size)")} = {ShapeUtil.Format(expected)}; got {s.Shape}. " +
                (s.Dim != expected.Length
                    ? $"The input is {(batched ? "batched (2-D)" : "unbatched (1-D)")}, so {what} must be {expected.Length}-D too."
                    : "The batch size must match the input's and the last dimension must be hidden_size."),
                what);
        }
        if (s.DType != DType)
        {
            throw new ArgumentException($"{name}: {what} is {s.DType.TorchName()} but the cell's parameters are {DType.TorchName()}.", what);
        }
    }
}
