using System.Globalization;
using Sequin.Optim;
using Sequin.Tensors;

namespace Sequin.Verification.Handlers;

/// <summary>
/// Golden kind <c>clip</c>: <see cref="ClipGrad.ClipGradNorm"/> with <c>max_norm</c> and <c>norm_type</c> (<c>inf</c>
/// included) on gradients <c>grad0</c>, <c>grad1</c>; checks <c>grad0.after</c>, <c>grad1.after</c> and <c>total_norm</c>.
/// Float64 only.
/// </summary>
public sealed class ClipHandler : IGoldenHandler
{
    /// <inheritdoc/>
    public string Kind => "clip";

    /// <inheritdoc/>
    public IReadOnlyList<DType> DTypes => [DType.Float64];

    /// <inheritdoc/>
    public void Run(GoldenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var c = context.Case;
        var parameters = new List<Tensor>();
        for (var k = 0; c.Has($"grad{k}"); k++)
        {
            var g = context.Value($"grad{k}");
            var p = Tensor.ZerosLike(g).RequiresGrad_();
            p.Grad = g.Clone();
            parameters.Add(p);
        }
        var normText = c.Meta("norm_type");
        var normType = normText == "inf" ? double.PositiveInfinity : double.Parse(normText, CultureInfo.InvariantCulture);
        var total = ClipGrad.ClipGradNorm(parameters, c.MetaDouble("max_norm"), normType);
        context.Check("total_norm", Tensor.FromArray([total], 1));
        for (var k = 0; k < parameters.Count; k++)
        {
            context.Check($"grad{k}.after", parameters[k].Grad);
        }
    }
}
