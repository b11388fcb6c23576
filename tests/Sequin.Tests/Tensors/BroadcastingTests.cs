using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

public class BroadcastingTests
{
    [Fact]
    public void ColumnPlusRow_GivesOuterSum()
    {
        var col = Tensor.FromArray(new double[] { 10, 20, 30 }, 3, 1);
        var row = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 1, 4);
        Check.Values(col + row, [3, 4], 11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34);
        Check.Values(row + col, [3, 4], 11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34);
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4 }, new[] { 4 }, new[] { 2, 3, 4 })]
    [InlineData(new[] { 2, 1, 4 }, new[] { 3, 1 }, new[] { 2, 3, 4 })]
    [InlineData(new[] { 1 }, new[] { 5, 2 }, new[] { 5, 2 })]
    [InlineData(new int[0], new[] { 2, 2 }, new[] { 2, 2 })]
    [InlineData(new[] { 3, 1, 1 }, new[] { 1, 2, 1 }, new[] { 3, 2, 1 })]
    public void ResultShape_AlignsFromTheRight(int[] a, int[] b, int[] expected)
    {
        var x = Tensor.Ones(a, DType.Float64);
        var y = Tensor.Ones(b, DType.Float64);
        Assert.Equal(new Shape(expected), (x + y).Shape);
        Assert.Equal(new Shape(expected), (y * x).Shape);
    }

    [Fact]
    public void EveryPath_AgreesWithExplicitExpansion()
    {
        // Scalar, trailing-row, leading-column and general broadcasts, against the same ops on expanded copies.
        var g = new Generator(3);
        var full = Tensor.Randn([2, 3, 4], DType.Float64, g);
        foreach (var shape in new[] { new int[0], [1], [4], [3, 4], [1, 4], [3, 1], [2, 1, 4], [2, 3, 1], [1, 1, 1] })
        {
            var small = Tensor.Randn(shape, DType.Float64, g);
            var expanded = small.Expand(2, 3, 4).Contiguous();
            Check.Close(full.Add(expanded), full.Add(small));
            Check.Close(expanded.Sub(full), small.Sub(full));
            Check.Close(full.Mul(expanded), full.Mul(small));
            Check.Close(expanded.Div(full), small.Div(full));
            Check.Close(full.Transpose(0, 2).Mul(expanded.Transpose(0, 2)), full.Transpose(0, 2).Mul(small.Expand(2, 3, 4).Transpose(0, 2)));
        }
    }

    [Fact]
    public void IncompatibleShapes_ThrowNamingOpAndBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Ones(2, 5).Add(Tensor.Ones(3)));
        Assert.Contains("add", e.Message);
        Assert.Contains("(2, 5)", e.Message);
        Assert.Contains("(3,)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Ones(4, 3).Mul(Tensor.Ones(4)));
        Assert.Contains("mul", e.Message);
        Assert.Contains("(4, 3)", e.Message);
        Assert.Contains("(4,)", e.Message);
    }

    [Fact]
    public void Backward_SumsOverBroadcastDimensions()
    {
        var a = Tensor.Ones([2, 3], DType.Float64, requiresGrad: true);
        var bias = Tensor.Zeros([3], DType.Float64, requiresGrad: true);
        var col = Tensor.Zeros([2, 1], DType.Float64, requiresGrad: true);
        a.Add(bias).Add(col).Sum().Backward();
        Check.Values(bias.Grad!, [3], 2, 2, 2);
        Check.Values(col.Grad!, [2, 1], 3, 3);
        var g = new Generator(8);
        Check.Grad(x => x[0].Mul(x[1]).Add(x[2]).Div(x[3].Abs().Add(1)), Check.R(g, 2, 3, 4), Check.R(g, 4), Check.R(g, 3, 1), Check.R(g));
        Check.Grad(x => x[0].Sub(x[1]).Maximum(x[2]), Check.R(g, 3, 1), Check.R(g, 1, 4), Check.R(g, 4));
    }
}
