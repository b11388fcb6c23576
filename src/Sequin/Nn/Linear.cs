using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// Affine map <c>y = x Wᵀ + b</c> (<c>torch.nn.Linear</c>). Input <c>(*, in_features)</c> → output <c>(*, out_features)</c>.
/// </summary>
public sealed class Linear : Module, ITensorModule
{
    /// <summary>
    /// Creates the layer with PyTorch's default initialisation: <c>weight</c> and <c>bias</c> drawn from
    /// U(−1/√in_features, 1/√in_features) (kaiming_uniform with a = √5 gives exactly this bound for the weight).
    /// </summary>
    /// <param name="inFeatures">Size of each input sample (<c>in_features</c>).</param>
    /// <param name="outFeatures">Size of each output sample (<c>out_features</c>).</param>
    /// <param name="bias">Whether to learn an additive bias (<c>bias</c>).</param>
    /// <param name="dtype">Parameter element type.</param>
    /// <param name="generator">Random source for the initialisation; <see cref="Generator.Default"/> when null.</param>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
        {
            throw new ArgumentException($"Linear: in_features and out_features must be positive; got in_features={inFeatures}, out_features={outFeatures}.");
        }
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var bound = 1.0 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Tensor.Rand([outFeatures, inFeatures], dtype, generator, -bound, bound));
        if (bias)
        {
            Bias = RegisterParameter("bias", Tensor.Rand([outFeatures], dtype, generator, -bound, bound));
        }
    }

    /// <summary>Input feature count (<c>in_features</c>).</summary>
    public int InFeatures { get; }

    /// <summary>Output feature count (<c>out_features</c>).</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, shape <c>(out_features, in_features)</c>.</summary>
    public Tensor Weight { get; }

    /// <summary>The bias, shape <c>(out_features)</c>, or null when created with <c>bias: false</c>.</summary>
    public Tensor? Bias { get; }

    /// <summary>Applies the layer: <c>(*, in_features)</c> → <c>(*, out_features)</c>.</summary>
    public Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);
}
