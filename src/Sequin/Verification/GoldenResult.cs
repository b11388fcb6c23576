using System.Globalization;
using Sequin.Tensors;

namespace Sequin.Verification;

/// <summary>Outcome of one golden case in one dtype.</summary>
public enum GoldenStatus
{
    /// <summary>Every checked tensor was within tolerance.</summary>
    Pass,

    /// <summary>Some tensor was out of tolerance, missing, misshapen, or the computation threw.</summary>
    Fail,

    /// <summary>Not run: no handler is registered for the case's kind (counts neither as pass nor as fail).</summary>
    Skip,
}

/// <summary>The result of running one golden case in one dtype.</summary>
/// <param name="Name">Case name.</param>
/// <param name="Kind">Case kind (<c>layer</c>, <c>cell</c>, ...).</param>
/// <param name="DType">The dtype the computation ran in; null for a skipped case.</param>
/// <param name="Status">Pass, fail or skip.</param>
/// <param name="MaxAbs">Largest <c>|got − want|</c> over every checked element.</param>
/// <param name="MaxRel">Largest <c>|got − want| / |want|</c> over every checked element with <c>want ≠ 0</c>.</param>
/// <param name="FailingTensor">Name of the first tensor that failed (e.g. <c>grad.weight_hh_l0</c>), or null.</param>
/// <param name="Message">Why it failed or was skipped (the worst element of the failing tensor with got/want/tolerance), or null.</param>
/// <param name="Checked">Names of the tensors compared, in order.</param>
public sealed record GoldenResult(
    string Name,
    string Kind,
    DType? DType,
    GoldenStatus Status,
    double MaxAbs,
    double MaxRel,
    string? FailingTensor,
    string? Message,
    IReadOnlyList<string> Checked)
{
    /// <summary>The dtype as PyTorch spells it without the module (<c>float64</c>, <c>float32</c>), or empty.</summary>
    public string DTypeName => DType switch
    {
        Tensors.DType.Float64 => "float64",
        Tensors.DType.Float32 => "float32",
        Tensors.DType.Int64 => "int64",
        _ => "",
    };

    /// <summary>
    /// One line: <c>PASS name float64 max_abs=1.2e-15 max_rel=3.4e-14</c>, <c>FAIL ... first failing: grad.input: ...</c>,
    /// or <c>SKIP name reason</c>.
    /// </summary>
    public override string ToString() => Status switch
    {
        GoldenStatus.Skip => $"SKIP {Name} {Message}",
        GoldenStatus.Fail when DType is null => $"FAIL {Name} {FailingTensor}: {Message}",
        GoldenStatus.Pass => $"PASS {Name} {DTypeName} max_abs={Format(MaxAbs)} max_rel={Format(MaxRel)}",
        _ => $"FAIL {Name} {DTypeName} max_abs={Format(MaxAbs)} max_rel={Format(MaxRel)} first failing: {FailingTensor}: {Message}",
    };

    /// <summary>Formats an error like <c>1.23e-15</c>.</summary>
    /// <param name="value">The value.</param>
    public static string Format(double value) => value.ToString("0.00e+00", CultureInfo.InvariantCulture);
}
