using Sequin.IO;
using Sequin.Tensors;
using Sequin.Verification;

namespace Sequin.Tests.Golden;

/// <summary>
/// Every PyTorch golden case as its own theory row per dtype, run by the library's <see cref="GoldenRunner"/> (the same code
/// as <c>sequin verify</c>). Rows are generated for the kinds that have a registered <see cref="IGoldenHandler"/>
/// (<see cref="GoldenHandlers.BuiltIn"/>); a kind gains rows as soon as its handler is added there, and
/// <see cref="EveryGoldenFile_IsEitherRunOrAwaitingAHandler"/> lists the cases still waiting for one.
/// </summary>
public class GoldenCaseTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static string GoldenDir => Path.Combine(AppContext.BaseDirectory, "Golden");

    private static IEnumerable<(string Name, string Kind)> Cases()
        => Directory.EnumerateFiles(GoldenDir, "*.safetensors")
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileNameWithoutExtension(f), SafeTensors.LoadMetadata(f).GetValueOrDefault("kind", "")));

    public static TheoryData<string, string> Rows()
    {
        var rows = new TheoryData<string, string>();
        foreach (var (name, kind) in Cases())
        {
            if (GoldenRunner.HandlerFor(kind) is { } handler)
            {
                foreach (var dtype in handler.DTypes)
                {
                    rows.Add(name, dtype == DType.Float64 ? "float64" : "float32");
                }
            }
        }
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void MatchesPyTorch(string name, string dtype)
    {
        var c = GoldenCase.Load(Path.Combine(GoldenDir, name + ".safetensors"));
        var r = GoldenRunner.Run(c, dtype == "float64" ? DType.Float64 : DType.Float32);
        output.WriteLine(r.ToString());
        Assert.True(r.Status == GoldenStatus.Pass, r.ToString());
        Assert.Contains(r.Checked, n => n.StartsWith("grad.", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryGoldenFile_IsEitherRunOrAwaitingAHandler()
    {
        var all = Cases().ToList();
        Assert.True(all.Count >= 200, $"expected the golden cases in {GoldenDir}; found {all.Count}");
        var waiting = all.Where(c => GoldenRunner.HandlerFor(c.Kind) is null).ToList();
        foreach (var group in waiting.GroupBy(c => c.Kind))
        {
            output.WriteLine($"awaiting a '{group.Key}' handler: {string.Join(", ", group.Select(c => c.Name))}");
        }
        // layer and cell cases are the core of the project: they must always run.
        Assert.DoesNotContain(waiting, c => c.Kind is "layer" or "cell" or "");
        Assert.Equal(all.Count - waiting.Count, all.Count(c => GoldenRunner.HandlerFor(c.Kind) is not null));
    }
}
