using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// A GRU cell (<c>torch.nn.GRUCell</c>), gates r, z, n: <c>n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))</c>,
/// <c>h′ = (1 − z) ⊙ n + z ⊙ h</c>.
/// </summary>
public sealed class GRUCell : RecurrentCellBase
{
    /// <summary>Creates the cell.</summary>
    /// <param name="inputSize">Input features (<c>input_size</c>).</param>
    /// <param name="hiddenSize">Hidden features (<c>hidden_size</c>).</param>
    /// <param name="bias">Whether to use b_ih and b_hh.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="generator">Source of the initial weights; <see cref="Generator.Default"/> when null.</param>
    public GRUCell(int inputSize, int hiddenSize, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
        : base(RecurrentMode.Gru, inputSize, hiddenSize, bias, dtype, generator)
    {
    }

    /// <summary>One step.</summary>
    /// <param name="input"><c>(batch, input_size)</c> or <c>(input_size)</c>.</param>
    /// <param name="hx"><c>(batch, hidden_size)</c> or <c>(hidden_size)</c>; zeros when null.</param>
    /// <returns>h′ with the shape of <paramref name="hx"/>.</returns>
    public Tensor Forward(Tensor input, Tensor? hx = null) => Step(input, hx, null).H;
}
