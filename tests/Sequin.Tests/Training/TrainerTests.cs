using Sequin.IO;
using Sequin.Nn;
using Sequin.Tensors;
using Sequin.Training;

namespace Sequin.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "sequin-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private TrainOptions Small(string name, int epochs, string optimizer = "adam") => new()
    {
        Mode = "lstm",
        Hidden = 12,
        Embedding = 6,
        Epochs = epochs,
        BatchSize = 4,
        SeqLen = 8,
        Lr = optimizer == "sgd" ? 1 : 0.01,
        Optimizer = optimizer,
        Clip = 1,
        Seed = 3,
        MaxTokens = 1500,
        Output = Path.Combine(root, name),
        CheckpointSeconds = 0,
    };

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void Resume_GivesTheSameLossesAsAnUninterruptedRun(string optimizer)
    {
        var full = LanguageModelTrainer.Run(Small("full", 4, optimizer));
        var half = LanguageModelTrainer.Run(Small("split", 2, optimizer));
        Assert.Equal(2, half.Epochs);
        var resumed = LanguageModelTrainer.Run(new TrainOptions { Resume = Path.Combine(root, "split"), Epochs = 4, CheckpointSeconds = 0 });
        Assert.Equal(TrainStatus.Completed, resumed.Status);
        Assert.Equal(4, resumed.Epochs);
        Assert.Equal(full.Losses, resumed.Losses);
        Assert.True(full.Losses[^1] < full.Losses[0], "the loss should fall over 4 epochs");
        var a = full.Model.StateDict();
        var b = resumed.Model.StateDict();
        Assert.All(a.Keys, k => Assert.Equal(a[k].ToArray<float>(), b[k].ToArray<float>()));
    }

    [Fact]
    public void Checkpoint_WeightsLoadUnderPyTorchNamesAndOtherShapesAreRejected()
    {
        var r = LanguageModelTrainer.Run(Small("ck", 1));
        var (tensors, meta) = SafeTensors.Load(Path.Combine(root, "ck", Checkpoint.ModelFile));
        Assert.Equal("pt", meta["format"]);
        Assert.Equal(["embedding.weight", "fc.bias", "fc.weight", "rnn.bias_hh_l0", "rnn.bias_ih_l0", "rnn.weight_hh_l0", "rnn.weight_ih_l0"],
            tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new Shape(48, 6), tensors["rnn.weight_ih_l0"].Shape);
        var ck = Checkpoint.Load(Path.Combine(root, "ck"));
        Assert.Equal(r.Vocab.IdxToToken, ck.Vocab);
        var other = new RnnLanguageModel("lstm", r.Vocab.Count, 13, embeddingDim: 6);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Restore(ck, other, null));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("rnn.weight_ih_l0", e.Message, StringComparison.Ordinal);
        var gru = new RnnLanguageModel("gru", r.Vocab.Count, 12, embeddingDim: 6);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Restore(ck, gru, null));
    }

    [Fact]
    public void Checkpoint_FromAnInterruptedSaveIsDetected()
    {
        LanguageModelTrainer.Run(Small("mixed", 1));
        var dir = Path.Combine(root, "mixed");
        var (t, _) = SafeTensors.Load(Path.Combine(dir, Checkpoint.ModelFile));
        SafeTensors.Save(Path.Combine(dir, Checkpoint.ModelFile), t, new Dictionary<string, string> { ["format"] = "pt", ["step"] = "999" });
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(dir));
        Assert.Contains("interrupted", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        File.WriteAllText(Path.Combine(dir, "progress.json"), "{ not json");
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(dir));
    }

    [Fact]
    public void Divergence_StopsWithEpochAndStepAndKeepsLastGoodCheckpoint()
    {
        var o = Small("nan", 3, "sgd");
        o.Lr = 1e38;
        o.Mode = "rnn_relu";
        o.Clip = 0;
        var r = LanguageModelTrainer.Run(o);
        Assert.Equal(TrainStatus.Diverged, r.Status);
        Assert.Contains("epoch", r.Message, StringComparison.Ordinal);
        Assert.Contains("--lr", r.Message, StringComparison.Ordinal);
        if (r.CheckpointDir is not null)
        {
            Assert.All(Checkpoint.Load(r.CheckpointDir).Progress.Losses, l => Assert.True(double.IsFinite(l)));
        }
    }

    [Fact]
    public void TextOption_MissingOrTooShortFilesGiveOneLineErrors()
    {
        var o = Small("t", 1);
        o.TextFile = Path.Combine(root, "missing.txt");
        var e = Assert.Throws<InvalidDataException>(() => LanguageModelTrainer.LoadCorpus(o));
        Assert.DoesNotContain('\n', e.Message);
        Directory.CreateDirectory(root);
        File.WriteAllText(o.TextFile, "12345 ... !!!");
        e = Assert.Throws<InvalidDataException>(() => LanguageModelTrainer.LoadCorpus(o));
        Assert.Contains("0 tokens", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_GreedyIsDeterministicAndKeepsPrefix()
    {
        var m = new RnnLanguageModel("gru", 10, 8, embeddingDim: 4, generator: new Generator(1));
        var a = m.Predict([1, 2, 3], 5);
        Assert.Equal(a, m.Predict([1, 2, 3], 5));
        Assert.Equal(8, a.Length);
        Assert.Equal([1, 2, 3], a[..3]);
        var s = m.Predict([1], 50, temperature: 1.0, topK: 2, generator: new Generator(4));
        Assert.True(s.Distinct().Count() >= 2);
    }
}
