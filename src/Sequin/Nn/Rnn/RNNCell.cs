using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>An Elman RNN cell with tanh or ReLU non-linearity (<c>torch.nn.RNNCell</c>): <c>h′ = act(W_ih x + b_ih + W_hh h + b_hh)</c>.</summary>
public sealed class RNNCell : RecurrentCellBase
{
    /// <summary>Creates the cell.</summary>
    /// <param name="inputSize">Input features (<c>input_size</c>).</param>
    /// <param name="hiddenSize">Hidden features (<c>hidden_size</c>).</param>
    /// <param name="bias">Whether to use b_ih and b_hh.</param>
    /// <param name="nonlinearity"><c>"tanh"</c> or <c>"relu"</c>.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="generator">Source of the initial weights; <see cref="Generator.Default"/> when null.</param>
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", DType dtype = DType.Float32, Generator? generator = null)
        : base(Parse(nonlinearity), inputSize, hiddenSize, bias, dtype, generator)
    {
        Nonlinearity = nonlinearity;
    }

    /// <summary><c>"tanh"</c> or <c>"relu"</c>.</summary>
    public string Nonlinearity { get; }

    private static RecurrentMode Parse(string nonlinearity) => nonlinearity switch
    {
        "tanh" => RecurrentMode.RnnTanh,
        "relu" => RecurrentMode.RnnRelu,
        _ => throw new ArgumentException($"RNNCell: unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.", nameof(nonlinearity)),
    };

    /// <summary>One step.</summary>
    /// <param name="input"><c>(batch, input_size)</c> or <c>(input_size)</c>.</param>
    /// <param name="hx"><c>(batch, hidden_size)</c> or <c>(hidden_size)</c>; zeros when null.</param>
    /// <returns>h′ with the shape of <paramref name="hx"/>.</returns>
    public Tensor Forward(Tensor input, Tensor? hx = null) => Step(input, hx, null).H;
}
