using Sequin.Autograd;
using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

public class IndexSelectTests
{
    [Fact]
    public void Forward_PicksSlices_AlongAnyDim_WithRepeats()
    {
        var x = Tensor.Arange(0, 24, 1, DType.Float64).Reshape(2, 3, 4);
        var y = x.IndexSelect(1, Tensor.FromArray([2L, 0L, 2L], 3));
        Assert.Equal(new Shape(2, 3, 4), y.Shape);
        for (var a = 0; a < 2; a++)
        {
            for (var c = 0; c < 4; c++)
            {
                Assert.Equal(x.GetValue(a, 2, c), y.GetValue(a, 0, c));
                Assert.Equal(x.GetValue(a, 0, c), y.GetValue(a, 1, c));
                Assert.Equal(x.GetValue(a, 2, c), y.GetValue(a, 2, c));
            }
        }
        var last = x.IndexSelect(-1, Tensor.FromArray([3L], 1));
        Assert.Equal(new Shape(2, 3, 1), last.Shape);
        Assert.Equal(new[] { 3.0, 7, 11, 15, 19, 23 }, last.ToArray<double>());
    }

    [Fact]
    public void Forward_WorksOnViews_AndInt64Tensors_AndEmptyIndex()
    {
        var x = Tensor.Arange(0, 6).Reshape(2, 3).Transpose(0, 1); // (3, 2) int64 view
        Assert.Equal(new[] { 2L, 5L, 0L, 3L }, x.IndexSelect(0, Tensor.FromArray([2L, 0L], 2)).ToArray<long>());
        var none = x.IndexSelect(0, Tensor.Zeros([0], DType.Int64));
        Assert.Equal(new Shape(0, 2), none.Shape);
    }

    [Fact]
    public void Backward_IndexAdds_RepeatedIndicesAccumulate()
    {
        var x = Tensor.Zeros([3, 2], DType.Float64, requiresGrad: true);
        var y = x.IndexSelect(0, Tensor.FromArray([1L, 1L, 2L], 3));
        y.Backward(Tensor.FromArray([1.0, 2, 3, 4, 5, 6], 3, 2));
        Assert.Equal(new[] { 0.0, 0, 4, 6, 5, 6 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Gradients_MatchFiniteDifferences()
    {
        var g = new Generator(7);
        var x = Tensor.Randn([4, 3, 2], DType.Float64, g, requiresGrad: true);
        var idx = Tensor.FromArray([3L, 0L, 3L, 1L], 4);
        var r0 = GradCheck.Run(t => t[0].IndexSelect(0, idx).Tanh(), [x]);
        Assert.True(r0.Passed, r0.Message);
        var r2 = GradCheck.Run(t => t[0].IndexSelect(2, Tensor.FromArray([1L, 1L], 2)).Mul(t[0].Narrow(2, 0, 1)), [x]);
        Assert.True(r2.Passed, r2.Message);
    }

    [Fact]
    public void SecondOrderGradient_FlowsThroughIndexAdd()
    {
        // The backward of index_select is index_add; its own backward (for double differentiation) is index_select again.
        var x = Tensor.FromArray([1.0, 2, 3], 3).RequiresGrad_();
        var idx = Tensor.FromArray([0L, 0L, 2L], 3);
        var gx = x.IndexSelect(0, idx).Mul(2.0).Detach().RequiresGrad_();
        var back = Tensor.IndexAdd(gx, 0, [0, 0, 2], [3], scalarInput: false);
        Assert.Equal(new[] { 4.0, 0, 6 }, back.ToArray<double>());
        back.Backward(Tensor.FromArray([10.0, 20, 30], 3));
        Assert.Equal(new[] { 10.0, 10, 30 }, gx.Grad!.ToArray<double>());
    }

    [Fact]
    public void Errors_NameTheProblem()
    {
        var x = Tensor.Zeros(3, 2);
        var ex = Assert.Throws<IndexOutOfRangeException>(() => x.IndexSelect(0, Tensor.FromArray([0L, 3L], 2)));
        Assert.Contains("index 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("size 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<IndexOutOfRangeException>(() => x.IndexSelect(0, Tensor.FromArray([-1L], 1)));
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.Zeros(2))).Message, StringComparison.Ordinal);
        Assert.Contains("1-D", Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.Zeros([1, 1], DType.Int64))).Message, StringComparison.Ordinal);
    }
}
