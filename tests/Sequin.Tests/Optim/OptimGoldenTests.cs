using Sequin.IO;
using Sequin.Verification;

namespace Sequin.Tests.Optim;

public class OptimGoldenTests
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "Golden");

    public static TheoryData<string> Cases(string prefix)
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Golden"), prefix + "*.safetensors").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases), "optim_")]
    public void Optimizer_MatchesPyTorchSteps(string name)
    {
        var (t, m) = SafeTensors.Load(Path.Combine(Dir, name + ".safetensors"));
        var failures = TrainingCases.CheckOptim(t, m);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Cases), "clip_")]
    public void ClipGradNorm_MatchesPyTorch(string name)
    {
        var (t, m) = SafeTensors.Load(Path.Combine(Dir, name + ".safetensors"));
        var failures = TrainingCases.CheckClip(t, m);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
