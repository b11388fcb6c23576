using Sequin.Tensors;

namespace Sequin.Verification;

/// <summary>
/// An element passes when <c>|got − want| ≤ Atol + Rtol·|want|</c>. The golden tolerances (FORMAT.md) are
/// <see cref="Float64"/> for float64 computation and <see cref="Float32"/> for float32 computation, both against the float64 reference.
/// </summary>
/// <param name="Atol">Absolute tolerance.</param>
/// <param name="Rtol">Relative tolerance.</param>
public readonly record struct GoldenTolerance(double Atol, double Rtol)
{
    /// <summary>float64 computation against the float64 reference: 1e-9 + 1e-7·|want|.</summary>
    public static GoldenTolerance Float64 { get; } = new(1e-9, 1e-7);

    /// <summary>float32 computation against the float64 reference: 1e-5 + 1e-4·|want|.</summary>
    public static GoldenTolerance Float32 { get; } = new(1e-5, 1e-4);

    /// <summary>The golden tolerance for computation in <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The dtype the computation ran in.</param>
    public static GoldenTolerance For(DType dtype) => dtype == DType.Float64 ? Float64 : Float32;

    /// <summary>Both tolerances multiplied by <paramref name="factor"/> (0 &lt; factor ≤ 1 tightens).</summary>
    /// <param name="factor">Scale factor.</param>
    public GoldenTolerance Scale(double factor) => new(Atol * factor, Rtol * factor);

    /// <summary>Whether <paramref name="got"/> is within tolerance of <paramref name="want"/> (NaN never is, unless both are NaN).</summary>
    /// <param name="got">Computed value.</param>
    /// <param name="want">Reference value.</param>
    public bool Accepts(double got, double want)
        => double.IsNaN(got) || double.IsNaN(want) ? double.IsNaN(got) && double.IsNaN(want)
         : got == want || Math.Abs(got - want) <= Atol + Rtol * Math.Abs(want);
}
