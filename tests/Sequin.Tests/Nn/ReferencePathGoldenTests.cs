using Sequin.Tensors;
using Sequin.Verification;

namespace Sequin.Tests.Nn;

/// <summary>
/// The autograd reference path of the recurrent layers against every PyTorch golden layer case (float64), through the
/// shared <see cref="GoldenRunner"/>. The fast path is covered per case by Golden/GoldenCaseTests; together they show
/// that both implementations reproduce PyTorch, not merely each other.
/// </summary>
public class ReferencePathGoldenTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void ReferencePath_MatchesPyTorchOnEveryLayerCase()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Golden");
        var failures = new List<string>();
        var count = 0;
        foreach (var file in Directory.EnumerateFiles(dir, "*.safetensors").Order(StringComparer.Ordinal))
        {
            var c = GoldenCase.Load(file);
            if (c.Kind != "layer")
            {
                continue;
            }
            count++;
            var r = GoldenRunner.Run(c, DType.Float64, new GoldenRunOptions(ReferenceImplementation: true));
            if (r.Status != GoldenStatus.Pass)
            {
                failures.Add(r.ToString());
            }
        }
        output.WriteLine($"{count} layer cases on the reference path, {failures.Count} failures");
        Assert.True(count >= 190, $"expected the golden layer cases in {dir}; found {count}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
