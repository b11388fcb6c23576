using Sequin.Tensors;
using Xunit.Abstractions;

namespace Sequin.Tests.Nn;

/// <summary>
/// The layers' own sweep over every PyTorch golden layer and cell case (fast path in both dtypes, and the autograd
/// reference path in float64), reporting all failures at once. The per-case theories of the golden runner cover the same files one row per case.
/// </summary>
public class RnnGoldenSweepTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("layer", DType.Float64)]
    [InlineData("layer", DType.Float32)]
    [InlineData("cell", DType.Float64)]
    [InlineData("cell", DType.Float32)]
    [InlineData("layer", DType.Float64, true)]
    public void EveryGoldenCase_MatchesPyTorch(string kind, DType dtype, bool reference = false)
    {
        var failures = new List<string>();
        var worst = 0.0;
        var count = 0;
        foreach (var name in RnnGoldenHarness.CaseNames(kind))
        {
            count++;
            try
            {
                var r = RnnGoldenHarness.Run(name, dtype, reference);
                worst = Math.Max(worst, r.MaxAbs);
                if (!(r.WorstRatio <= 1))
                {
                    failures.Add($"{name}: {r.Where} (ratio {r.WorstRatio:G3})");
                }
            }
            catch (Exception e)
            {
                failures.Add($"{name}: {e.GetType().Name}: {e.Message}");
            }
        }
        output.WriteLine($"{count} {kind} cases in {dtype}{(reference ? " (reference path)" : "")}: {count - failures.Count} pass, max |error| {worst:G3}");
        Assert.True(count > 0);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
