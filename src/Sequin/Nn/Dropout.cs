using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// Zeroes each element with probability <c>p</c> during training and scales the rest by <c>1/(1−p)</c>
/// (<c>torch.nn.Dropout</c>); the identity in evaluation mode. Any shape <c>(*)</c> → same shape.
/// </summary>
public sealed class Dropout : Module, ITensorModule
{
    private readonly Generator? generator;

    /// <summary>Creates the layer.</summary>
    /// <param name="p">Probability of zeroing an element, in [0, 1].</param>
    /// <param name="generator">Random source for the masks; <see cref="Generator.Default"/> when null.</param>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (p is < 0 or > 1 || double.IsNaN(p))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must be a probability between 0 and 1.");
        }
        P = p;
        this.generator = generator;
    }

    /// <summary>The drop probability.</summary>
    public double P { get; }

    /// <summary>Applies dropout when <see cref="Module.Training"/>; otherwise returns the input.</summary>
    public Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training, generator);
}
