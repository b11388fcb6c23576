using Sequin.Samples;

namespace Sequin.Tests.Explain;

/// <summary>Every sample in samples/ runs, prints its shapes, and its assertions hold.</summary>
public class SampleTests
{
    public static TheoryData<string> SampleNames()
    {
        var data = new TheoryData<string>();
        foreach (var s in Program.All)
        {
            data.Add(s.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Sample_RunsAndItsRelationsHold(string name)
    {
        var sample = Program.All.Single(s => s.Name == name);
        using var writer = new StringWriter();
        sample.Run(writer); // throws SampleAssertionException when a shape or relation does not hold
        var text = writer.ToString();
        Assert.Contains(".shape = (", text, StringComparison.Ordinal);
        Assert.Contains(": True", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Samples_CoverEverySeedArticle()
    {
        Assert.Equal(
            ["rnn-layers", "bidirectional", "embedding-lstm", "pytorch-docs", "batch-first-bidirectional", "d2l-lstm-scratch", "d2l-rnn-model"],
            Program.All.Select(s => s.Name));
    }
}
