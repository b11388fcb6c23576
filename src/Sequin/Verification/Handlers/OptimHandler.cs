using System.Globalization;
using Sequin.Tensors;

namespace Sequin.Verification.Handlers;

/// <summary>
/// Golden kind <c>optim</c>: the optimizer named by <c>optimizer</c> with the case's <c>hyper</c> JSON, over parameters
/// <c>param{k}.init</c>; before each step <c>s</c> the gradients are set to <c>param{k}.grad.{s}</c>, after it the parameters
/// are compared with <c>param{k}.after.{s}</c>. Float64 only (the reference is PyTorch's float64 run).
/// </summary>
public sealed class OptimHandler : IGoldenHandler
{
    /// <inheritdoc/>
    public string Kind => "optim";

    /// <inheritdoc/>
    public IReadOnlyList<DType> DTypes => [DType.Float64];

    /// <inheritdoc/>
    public void Run(GoldenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var c = context.Case;
        var parameters = new List<Tensor>();
        for (var k = 0; c.Has($"param{k}.init"); k++)
        {
            parameters.Add(context.Leaf($"param{k}.init"));
        }
        var optimizer = TrainingCases.CreateOptimizer(c.Meta("optimizer"), c.Meta("hyper"), parameters);
        var steps = int.Parse(c.Meta("steps"), CultureInfo.InvariantCulture);
        for (var s = 0; s < steps; s++)
        {
            for (var k = 0; k < parameters.Count; k++)
            {
                parameters[k].Grad = context.Value($"param{k}.grad.{s}").Clone();
            }
            optimizer.Step();
            for (var k = 0; k < parameters.Count; k++)
            {
                context.Check($"param{k}.after.{s}", parameters[k].Detach());
            }
        }
    }
}
