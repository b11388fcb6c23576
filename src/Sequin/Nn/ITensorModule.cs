using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// A module with a single-tensor forward pass, <c>output = module(input)</c>, so that it can be chained in a
/// <see cref="Sequential"/>.
/// </summary>
public interface ITensorModule
{
    /// <summary>Applies the module to <paramref name="input"/>; the shapes are documented on each implementation.</summary>
    Tensor Forward(Tensor input);
}
