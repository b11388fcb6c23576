using Sequin.Autograd;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

public class LayerModuleTests
{
    [Fact]
    public void Linear_ComputesXWtPlusBAndGradChecks()
    {
        var lin = new Linear(3, 2, dtype: DType.Float64, generator: new Generator(1));
        var x = Tensor.FromArray([1.0, 2.0, 3.0], 1, 3);
        var w = lin.Weight.ToArray<double>();
        var b = lin.Bias!.ToArray<double>();
        var y = lin.Forward(x).ToArray<double>();
        Assert.Equal((w[0] * 1) + (w[1] * 2) + (w[2] * 3) + b[0], y[0], 12);
        Assert.Equal((w[3] * 1) + (w[4] * 2) + (w[5] * 3) + b[1], y[1], 12);
        var xs = Tensor.Randn([2, 4, 3], DType.Float64, new Generator(2), requiresGrad: true);
        var r = GradCheck.Run(a => Functional.Linear(a[0], a[1], a[2]), [xs, lin.Weight, lin.Bias]);
        Assert.True(r.Passed, r.Message);
        Assert.Equal(new Shape(2, 4, 2), lin.Forward(xs).Shape);
    }

    [Fact]
    public void Linear_InitIsWithinKaimingBoundAndNamesMatchPyTorch()
    {
        var lin = new Linear(16, 8, generator: new Generator(4));
        Assert.Equal(["weight", "bias"], lin.NamedParameters().Select(p => p.Name));
        var bound = 1 / Math.Sqrt(16);
        Assert.All(lin.Weight.ToArray<float>().Concat(lin.Bias!.ToArray<float>()), v => Assert.InRange(v, -bound, bound));
        Assert.Contains(lin.Weight.ToArray<float>(), v => Math.Abs(v) > bound / 2);
    }

    [Fact]
    public void Linear_WrongInputNamesInFeatures()
    {
        var e = Assert.Throws<ArgumentException>(() => new Linear(4, 2).Forward(Tensor.Zeros(3, 5)));
        Assert.Contains("(*, 4)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedding_LooksUpRowsAndPaddingRowGetsNoGradient()
    {
        var emb = new Embedding(5, 3, paddingIdx: 1, dtype: DType.Float64, generator: new Generator(3));
        Assert.All(emb.Weight.Select(0, 1).ToArray<double>(), v => Assert.Equal(0.0, v));
        var idx = Tensor.FromArray([4L, 1L, 4L, 0L], 2, 2);
        var y = emb.Forward(idx);
        Assert.Equal(new Shape(2, 2, 3), y.Shape);
        Assert.Equal(emb.Weight.Select(0, 4).ToArray<double>(), y[0, 0].ToArray<double>());
        y.Sum().Backward();
        var g = emb.Weight.Grad!;
        Assert.Equal(new[] { 2.0, 2.0, 2.0 }, g.Select(0, 4).ToArray<double>());
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, g.Select(0, 1).ToArray<double>());
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, g.Select(0, 0).ToArray<double>());
    }

    [Fact]
    public void Embedding_GradCheck()
    {
        var emb = new Embedding(6, 2, dtype: DType.Float64, generator: new Generator(8));
        var idx = Tensor.FromArray([5L, 2L, 2L], 3);
        var r = GradCheck.Run(a => Functional.Embedding(idx, a[0]).Mul(Functional.Embedding(idx, a[0])), [emb.Weight]);
        Assert.True(r.Passed, r.Message);
    }

    [Fact]
    public void Containers_NameChildrenLikePyTorch()
    {
        var seq = new Sequential(new Linear(3, 4), new Dropout(0.1), new Linear(4, 2));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], seq.NamedParameters().Select(p => p.Name));
        Assert.Equal(new Shape(5, 2), seq.Forward(Tensor.Zeros(5, 3)).Shape);
        var list = new ModuleList(new Linear(1, 1), new Linear(1, 1, bias: false));
        Assert.Equal(["0.weight", "0.bias", "1.weight"], list.NamedParameters().Select(p => p.Name));
        var dict = new ModuleDict();
        dict.Add("enc", new Linear(2, 2));
        dict["dec"] = new Embedding(3, 2);
        Assert.Equal(["enc.weight", "enc.bias", "dec.weight"], dict.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Dropout_ModuleFollowsTrainEval()
    {
        var d = new Dropout(0.5, new Generator(1));
        var x = Tensor.Ones(100);
        d.Eval();
        Assert.Same(x, d.Forward(x));
        d.Train();
        Assert.Contains(d.Forward(x).ToArray<float>(), v => v == 0);
    }
}
