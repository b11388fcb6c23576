using Sequin.Tensors;
using Sequin.Verification;

namespace Sequin.Tests.Verification;

public class GoldenRunnerTests
{
    private static string Case(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name + ".safetensors");

    [Fact]
    public void LayerCase_PassesInBothDTypes_AndChecksEveryOutputAndGradient()
    {
        var results = GoldenRunner.Run(GoldenCase.Load(Case("seed_lstm_10_20_2_h0c0")));
        Assert.Equal(new DType?[] { DType.Float64, DType.Float32 }, results.Select(r => r.DType));
        Assert.All(results, r => Assert.Equal(GoldenStatus.Pass, r.Status));
        var names = results[0].Checked;
        foreach (var n in new[] { "output", "h_n", "c_n", "grad.input", "grad.h0", "grad.c0", "grad.weight_ih_l0", "grad.bias_hh_l1" })
        {
            Assert.Contains(n, names);
        }
        Assert.True(results[0].MaxAbs < 1e-9);
        Assert.True(results[1].MaxAbs > results[0].MaxAbs, "float32 cannot be as exact as float64");
        Assert.StartsWith("PASS seed_lstm_10_20_2_h0c0 float64 max_abs=", results[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PerturbedReference_FailsFloat64_NamingTheTensor_ButFloat32ToleranceAcceptsIt()
    {
        var c = GoldenCase.Load(Case("gru_packed_l1_bi_bf_unsorted"));
        var g = c.Get("grad.weight_hh_l0");
        g.SetValue(g.GetValue(2, 1) * (1 + 1e-6) + 1e-8, 2, 1);
        var f64 = GoldenRunner.Run(c, DType.Float64);
        Assert.Equal(GoldenStatus.Fail, f64.Status);
        Assert.Equal("grad.weight_hh_l0", f64.FailingTensor);
        Assert.Contains("(2, 1)", f64.Message, StringComparison.Ordinal);
        Assert.StartsWith("FAIL gru_packed_l1_bi_bf_unsorted float64", f64.ToString(), StringComparison.Ordinal);
        Assert.Equal(GoldenStatus.Pass, GoldenRunner.Run(c, DType.Float32).Status);
    }

    [Fact]
    public void ToleranceScale_OnlyTightens()
    {
        var c = GoldenCase.Load(Case("cell_gru_bias_batched_h"));
        Assert.Throws<ArgumentOutOfRangeException>(() => GoldenRunner.Run(c, new GoldenRunOptions(ToleranceScale: 1.5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => GoldenRunner.Run(c, new GoldenRunOptions(ToleranceScale: 0)));
        // Scaled to (almost) nothing, float32 can no longer pass against the float64 reference.
        Assert.Equal(GoldenStatus.Fail, GoldenRunner.Run(c, DType.Float32, new GoldenRunOptions(ToleranceScale: 1e-6)).Status);
    }

    [Fact]
    public void ReferenceImplementation_AlsoMatchesPyTorch()
    {
        var results = GoldenRunner.Run(GoldenCase.Load(Case("lstm_packed_l2_bi_tf_unsorted")), new GoldenRunOptions(ReferenceImplementation: true));
        Assert.All(results, r => Assert.True(r.Status == GoldenStatus.Pass, r.ToString()));
    }

    private sealed class ThrowingHandler : IGoldenHandler
    {
        public string Kind => "test-throwing";

        public IReadOnlyList<DType> DTypes => [DType.Float64];

        public void Run(GoldenContext context) => throw new InvalidOperationException("boom");
    }

    [Fact]
    public void UnregisteredKind_IsSkipped_AndRegisteredHandlersRun_WithExceptionsReportedAsFailures()
    {
        var clip = GoldenCase.Load(Case("clip_norm_1.0_2.0"));
        if (GoldenRunner.HandlerFor("clip") is null)
        {
            var skip = Assert.Single(GoldenRunner.Run(clip));
            Assert.Equal(GoldenStatus.Skip, skip.Status);
            Assert.StartsWith("SKIP clip_norm_1.0_2.0 ", skip.ToString(), StringComparison.Ordinal);
        }
        GoldenRunner.Register(new ThrowingHandler());
        Assert.Contains("test-throwing", GoldenRunner.RegisteredKinds);
        var path = Path.Combine(Path.GetTempPath(), "sequin-throwing-" + Guid.NewGuid().ToString("N") + ".safetensors");
        Sequin.IO.SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(1) }, new Dictionary<string, string> { ["kind"] = "test-throwing", ["name"] = "throwing" });
        try
        {
            var r = Assert.Single(GoldenRunner.RunFile(path));
            Assert.Equal(GoldenStatus.Fail, r.Status);
            Assert.Equal(DType.Float64, r.DType);
            Assert.Equal("(exception)", r.FailingTensor);
            Assert.Contains("boom", r.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FindCases_AcceptsFilesAndFolders_AndRejectsMissingPaths()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Golden");
        var all = GoldenRunner.FindCases([dir, Case("seed_rnn_5_10_1")]);
        Assert.Equal(Directory.GetFiles(dir, "*.safetensors").Length, all.Count);
        Assert.Throws<FileNotFoundException>(() => GoldenRunner.FindCases(["/no/such/golden"]));
    }

    [Fact]
    public void CorruptFile_IsOneFailedResult()
    {
        var path = Path.Combine(Path.GetTempPath(), "sequin-corrupt-" + Guid.NewGuid().ToString("N") + ".safetensors");
        File.WriteAllBytes(path, File.ReadAllBytes(Case("seed_rnn_5_10_1"))[..200]);
        try
        {
            var r = Assert.Single(GoldenRunner.RunFile(path));
            Assert.Equal(GoldenStatus.Fail, r.Status);
            Assert.Contains("truncated", r.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
