using Sequin.Tensors;

namespace Sequin.Verification;

/// <summary>How <see cref="GoldenRunner"/> runs cases.</summary>
/// <param name="ToleranceScale">Multiplies both tolerances; must be in (0, 1]: verification can be tightened, never loosened.</param>
/// <param name="DTypes">The dtypes to run each case in (each handler may run fewer); null = float64 then float32.</param>
/// <param name="ReferenceImplementation">Run recurrent layers on their composed-autograd reference path instead of the fused kernels.</param>
public sealed record GoldenRunOptions(double ToleranceScale = 1, IReadOnlyList<DType>? DTypes = null, bool ReferenceImplementation = false)
{
    /// <summary>The defaults: golden tolerances, float64 and float32, fused kernels.</summary>
    public static GoldenRunOptions Default { get; } = new();

    /// <summary>Throws when <see cref="ToleranceScale"/> would loosen the tolerances or is not a positive number.</summary>
    public void Validate()
    {
        if (!(ToleranceScale > 0) || ToleranceScale > 1 || double.IsNaN(ToleranceScale))
        {
            throw new ArgumentOutOfRangeException(nameof(ToleranceScale),
                $"Tolerance scale must be in (0, 1]: it may only tighten the golden tolerances (FORMAT.md), never loosen them; got {ToleranceScale}.");
        }
    }
}
