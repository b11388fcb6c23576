using Sequin.Tensors;
using Sequin.Text;

namespace Sequin.Tests.Text;

public class TextTests
{
    [Fact]
    public void Preprocess_MatchesD2lRegex()
    {
        Assert.Equal("the time machine by h g wells", TimeMachine.Preprocess("The Time Machine, by H. G. Wells [1898]"));
        Assert.Equal("", TimeMachine.Preprocess("  1898 -- \r"));
        Assert.Equal("it s", TimeMachine.Preprocess("It's"));
    }

    [Fact]
    public void TimeMachineCorpus_HasD2lVocabularyAndLength()
    {
        var (corpus, vocab) = TimeMachine.LoadCorpus();
        // d2l 0.17: len(corpus) == 170580, len(vocab) == 28 (computed with Python's Counter + stable sort).
        Assert.Equal(170580, corpus.Length);
        Assert.Equal(28, vocab.Count);
        Assert.Equal("<unk>", vocab.IdxToToken[0]);
        Assert.Equal(" etainoshrdlmucfwgypbvkxzjq", string.Concat(vocab.IdxToToken.Skip(1)));
        // Lines are concatenated without a separator, as in d2l: "...wells" + "i" (the next non-empty line starts with "I").
        Assert.Equal("the time machine by h g wellsi", string.Concat(vocab.ToTokens(corpus.Take(30))));
        Assert.Equal(10000, TimeMachine.LoadCorpus(10000).Corpus.Length);
    }

    [Fact]
    public void Vocab_TiesKeepFirstSeenOrderAndUnknownMapsToZero()
    {
        var v = new Vocab(["b", "a", "c", "a", "b", "d"], reservedTokens: ["<pad>"]);
        Assert.Equal(["<unk>", "<pad>", "b", "a", "c", "d"], v.IdxToToken);
        Assert.Equal(0, v["zzz"]);
        var w = new Vocab(["x", "y", "y"], minFreq: 2);
        Assert.Equal(["<unk>", "y"], w.IdxToToken);
    }

    [Fact]
    public void Sequential_BatchesContinueRowsAndTargetsAreShifted()
    {
        var corpus = Enumerable.Range(0, 100).ToArray();
        var batches = SequenceIterators.Sequential(corpus, 2, 5, new Generator(1)).ToList();
        Assert.NotEmpty(batches);
        for (var i = 0; i < batches.Count; i++)
        {
            var (x, y) = batches[i];
            Assert.Equal(new Shape(2, 5), x.Shape);
            var xs = x.ToArray<long>();
            var ys = y.ToArray<long>();
            Assert.Equal(xs.Select(v => v + 1), ys);
            if (i > 0)
            {
                var prev = batches[i - 1].X.ToArray<long>();
                Assert.Equal(prev[4] + 1, xs[0]);
                Assert.Equal(prev[9] + 1, xs[5]);
            }
        }
        var offset = batches[0].X.ToArray<long>()[0];
        Assert.InRange(offset, 0, 5);
        Assert.Equal(((100 - offset - 1) / 2) / 5, batches.Count);
    }

    [Fact]
    public void Random_SubsequencesAreDisjointWindows()
    {
        var corpus = Enumerable.Range(0, 53).ToArray();
        var seen = new HashSet<long>();
        foreach (var (x, y) in SequenceIterators.Random(corpus, 3, 4, new Generator(2)))
        {
            var xs = x.ToArray<long>();
            Assert.Equal(xs.Select(v => v + 1), y.ToArray<long>());
            for (var b = 0; b < 3; b++)
            {
                for (var t = 1; t < 4; t++)
                {
                    Assert.Equal(xs[(b * 4) + t - 1] + 1, xs[(b * 4) + t]);
                }
                Assert.True(seen.Add(xs[b * 4]));
            }
        }
        Assert.Equal(12, seen.Count);
    }
}
