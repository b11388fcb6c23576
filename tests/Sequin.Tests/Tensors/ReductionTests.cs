using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

public class ReductionTests
{
    // [[1, 5, 2],
    //  [7, 0, 7]]
    private static Tensor M() => Tensor.FromArray(new double[] { 1, 5, 2, 7, 0, 7 }, 2, 3);

    [Fact]
    public void Sum_AllAndPerDim_HandComputed()
    {
        Check.Values(M().Sum(), [], 22);
        Check.Values(M().Sum(0), [3], 8, 5, 9);
        Check.Values(M().Sum(1), [2], 8, 14);
        Check.Values(M().Sum(-1, keepDim: true), [2, 1], 8, 14);
        Check.Values(M().Sum(0, keepDim: true), [1, 3], 8, 5, 9);
        Check.Values(Tensor.Arange(5).Sum(), [], 10);
        Assert.Equal(DType.Int64, Tensor.Arange(5).Sum().DType);
        Check.Values(Tensor.Zeros([0, 3]).Sum(0), [3], 0, 0, 0);
    }

    [Fact]
    public void SumOverEachDim_ThenTheRest_EqualsTotal()
    {
        var x = Tensor.Randn([3, 4, 5], DType.Float64, new Generator(2));
        var total = x.Sum().Item();
        for (var d = 0; d < 3; d++)
        {
            Assert.Equal(total, x.Sum(d).Sum().Item(), 10);
            Assert.Equal(total, x.Transpose(0, 2).Sum(d).Sum().Item(), 10);   // non-contiguous input
        }
        Assert.Equal(total, x.Sum(2).Sum(1).Sum(0).Item(), 10);
    }

    [Fact]
    public void Mean_AllAndPerDim()
    {
        Check.Values(M().Mean(), [], 22.0 / 6);
        Check.Values(M().Mean(0), [3], 4, 2.5, 4.5);
        Check.Values(M().Mean(1, keepDim: true), [2, 1], 8.0 / 3, 14.0 / 3);
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Arange(3).Mean());
        Assert.Contains("mean", e.Message);
    }

    [Fact]
    public void MaxMin_ValuesAndFirstIndexOfTies()
    {
        Check.Values(M().Max(), [], 7);
        Check.Values(M().Min(), [], 0);
        var (v, i) = M().Max(1);
        Check.Values(v, [2], 5, 7);
        Check.Values(i, [2], 1, 0);                   // tie between columns 0 and 2: first wins
        Assert.Equal(DType.Int64, i.DType);
        (v, i) = M().Max(0, keepDim: true);
        Check.Values(v, [1, 3], 7, 5, 7);
        Check.Values(i, [1, 3], 1, 0, 1);
        (v, i) = M().Min(-1);
        Check.Values(v, [2], 1, 0);
        Check.Values(i, [2], 0, 1);
        Check.Values(M().Argmax(), [], 3);
        Check.Values(M().Argmax(0), [3], 1, 0, 1);
        Check.Values(M().Argmin(), [], 4);
        Check.Values(M().Argmin(1, keepDim: true), [2, 1], 0, 1);
        Check.Values(M().T().Max(1).Values, [3], 7, 5, 7);             // non-contiguous input
        Check.Values(Tensor.Arange(6).View(2, 3).Max(1).Values, [2], 2, 5);
    }

    [Fact]
    public void Max_PropagatesNaN()
    {
        var x = Tensor.FromArray(new[] { 1, double.NaN, 3 });
        Assert.True(double.IsNaN(x.Max().Item()));
        Assert.True(double.IsNaN(x.Min().Item()));
        var (v, i) = x.Max(0);
        Assert.True(double.IsNaN(v.Item()));
        Assert.Equal(1.0, i.Item());
    }

    [Fact]
    public void Max_OfEmpty_Throws()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(0).Max());
        Assert.Contains("max", e.Message);
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2, 0).Max(1));
    }

    [Fact]
    public void Max_FullReduction_TiesShareTheGradient()
    {
        var x = Tensor.FromArray(new double[] { 1, 3, 3, 2 }).RequiresGrad_();
        x.Max().Backward();
        Check.Values(x.Grad!, [4], 0, 0.5, 0.5, 0);
        var y = Tensor.FromArray(new double[] { 1, 3, 3, 2 }).RequiresGrad_();
        y.Max(0).Values.Backward();
        Check.Values(y.Grad!, [4], 0, 1, 0, 0);       // the dim form routes it to the returned index
    }

    [Fact]
    public void Backward_GradCheck()
    {
        var g = new Generator(21);
        Check.Grad(x => x[0].Sum(), Check.R(g, 3, 4));
        Check.Grad(x => x[0].Sum(0), Check.R(g, 3, 4));
        Check.Grad(x => x[0].Sum(1, keepDim: true), Check.R(g, 3, 4, 2));
        Check.Grad(x => x[0].Transpose(0, 1).Sum(-1), Check.R(g, 3, 4, 2));
        Check.Grad(x => x[0].Mean(), Check.R(g, 3, 4));
        Check.Grad(x => x[0].Mean(1), Check.R(g, 3, 4));
        Check.Grad(x => x[0].Mean(0, keepDim: true), Check.R(g, 3, 4));
        Check.Grad(x => x[0].Max(), Check.R(g, 3, 4));
        Check.Grad(x => x[0].Min(), Check.R(g, 3, 4));
        Check.Grad(x => x[0].Max(1).Values, Check.R(g, 3, 4));
        Check.Grad(x => x[0].Max(0, keepDim: true).Values, Check.R(g, 3, 4, 2));
        Check.Grad(x => x[0].Min(-1).Values, Check.R(g, 2, 3, 4));
        Check.Grad(x => x[0].Permute(2, 0, 1).Max(1).Values, Check.R(g, 2, 3, 4));
    }

    [Fact]
    public void SumAndMean_OverSeveralDims()
    {
        var x = Tensor.Randn([3, 4, 5], DType.Float64, new Generator(5));
        Check.Close(x.Sum(2).Sum(0), x.Sum([0, 2]), 1e-12);
        Check.Close(x.Sum(2).Sum(0), x.Sum([-1, 0]), 1e-12);
        Assert.Equal(new Shape(1, 4, 1), x.Sum([0, 2], keepDim: true).Shape);
        Check.Close(x.Sum([0, 2]).Div(15), x.Mean([0, 2]), 1e-12);
        Assert.Equal(x.Sum().Item(), x.Sum([0, 1, 2]).Item(), 10);
        var e = Assert.Throws<ArgumentException>(() => x.Sum([1, -2]));
        Assert.Contains("sum", e.Message);
        Assert.Contains("(3, 4, 5)", e.Message);
        var g = new Generator(6);
        Check.Grad(t => t[0].Sum([0, 2]), Check.R(g, 2, 3, 4));
        Check.Grad(t => t[0].Mean([1, 2], keepDim: true), Check.R(g, 2, 3, 4));
    }
}
