using Sequin.Tensors;

namespace Sequin.Verification;

/// <summary>
/// Runs golden cases of one <see cref="Kind"/>: builds the computation from the case's metadata and tensors, runs it in
/// <see cref="GoldenContext.DType"/>, and reports every result through <see cref="GoldenContext.Check(string, Tensor?)"/>.
/// Register with <see cref="GoldenRunner.Register"/>, or add it to <see cref="GoldenHandlers.BuiltIn"/> to make it part of
/// <c>sequin verify</c> and the golden test theories.
/// </summary>
public interface IGoldenHandler
{
    /// <summary>The <c>kind</c> metadata value this handler runs (<c>layer</c>, <c>cell</c>, <c>lm</c>, <c>optim</c>, <c>clip</c>).</summary>
    string Kind { get; }

    /// <summary>The dtypes this kind is verified in (default: float64 and float32).</summary>
    IReadOnlyList<DType> DTypes => [DType.Float64, DType.Float32];

    /// <summary>Runs the case in <c>context.DType</c> and checks its outputs and gradients; exceptions count as failures.</summary>
    /// <param name="context">The case, dtype, options and the comparison sink.</param>
    void Run(GoldenContext context);
}
