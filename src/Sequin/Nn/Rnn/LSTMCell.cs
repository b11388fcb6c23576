using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>An LSTM cell (<c>torch.nn.LSTMCell</c>), gates i, f, g, o: <c>c′ = f ⊙ c + i ⊙ g</c>, <c>h′ = o ⊙ tanh(c′)</c>.</summary>
public sealed class LSTMCell : RecurrentCellBase
{
    /// <summary>Creates the cell.</summary>
    /// <param name="inputSize">Input features (<c>input_size</c>).</param>
    /// <param name="hiddenSize">Hidden features (<c>hidden_size</c>).</param>
    /// <param name="bias">Whether to use b_ih and b_hh.</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="generator">Source of the initial weights; <see cref="Generator.Default"/> when null.</param>
    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
        : base(RecurrentMode.Lstm, inputSize, hiddenSize, bias, dtype, generator)
    {
    }

    /// <summary>One step.</summary>
    /// <param name="input"><c>(batch, input_size)</c> or <c>(input_size)</c>.</param>
    /// <param name="hx"><c>(batch, hidden_size)</c> or <c>(hidden_size)</c>; zeros when null (then <paramref name="cx"/> must be null too).</param>
    /// <param name="cx"><c>(batch, hidden_size)</c> or <c>(hidden_size)</c>; zeros when null.</param>
    /// <returns>(h′, c′), each shaped like the states.</returns>
    public (Tensor H, Tensor C) Forward(Tensor input, Tensor? hx = null, Tensor? cx = null)
    {
        if ((hx is null) != (cx is null))
        {
            throw new ArgumentException(
                $"LSTMCell got {(hx is null ? "cx but no hx" : "hx but no cx")}: pass both states (hx, cx) or neither (both then default to zeros).",
                hx is null ? nameof(hx) : nameof(cx));
        }
        var (h, c) = Step(input, hx, cx);
        return (h, c!);
    }
}
