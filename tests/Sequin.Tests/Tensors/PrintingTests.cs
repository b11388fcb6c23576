using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

/// <summary>Expected strings follow PyTorch's default print options (precision 4, threshold 1000, edgeitems 3, linewidth 80).</summary>
public class PrintingTests
{
    [Fact]
    public void Shapes_PrintAsTuples()
    {
        Assert.Equal("(6, 3, 20)", new Shape(6, 3, 20).ToString());
        Assert.Equal("(5,)", new Shape(5).ToString());
        Assert.Equal("()", new Shape().ToString());
        Assert.Equal("(6, 3, 20)", Tensor.Zeros(6, 3, 20).Shape.ToString());
    }

    [Fact]
    public void IntegralFloats_PrintWithATrailingDot()
    {
        Assert.Equal("tensor([1., 2., 3.])", Tensor.FromArray(new float[] { 1, 2, 3 }).ToString());
        Assert.Equal("tensor(3.)", Tensor.Scalar(3).ToString());
        Assert.Equal("tensor([0., 0.])", Tensor.Zeros(2).ToString());
        Assert.Equal("tensor([nan, 1., 0.])", Tensor.FromArray(new[] { float.NaN, 1, 0 }).ToString());
    }

    [Fact]
    public void Fractions_UseFourDecimals_AndACommonWidth()
    {
        var t = Tensor.FromArray(new[] { 0.1f, 0.25f, -1.5f, 2f }, 2, 2);
        Assert.Equal("tensor([[ 0.1000,  0.2500],\n        [-1.5000,  2.0000]])", t.ToString());
        Assert.Equal("tensor(2.5000)", Tensor.Scalar(2.5).ToString());
    }

    [Fact]
    public void WideRanges_UseScientificNotation()
    {
        Assert.Equal("tensor([1.0000e-05, 1.0000e+00])", Tensor.FromArray(new[] { 1e-5f, 1f }).ToString());
        Assert.Equal("tensor([1.0000e+00, 1.0000e+09])", Tensor.FromArray(new[] { 1f, 1e9f }).ToString());
    }

    [Fact]
    public void DtypeAndAutogradSuffixes()
    {
        Assert.Equal("tensor([0, 1, 2])", Tensor.Arange(3).ToString());
        Assert.Equal("tensor([ 1.5000, -2.0000], dtype=torch.float64)", Tensor.FromArray(new[] { 1.5, -2 }).ToString());
        Assert.Equal("tensor([1., 1.], requires_grad=True)", Tensor.Ones([2], requiresGrad: true).ToString());
        Assert.Equal("tensor([2., 2.], grad_fn=<MulBackward0>)", Tensor.Ones([2], requiresGrad: true).Mul(2.0).ToString());
    }

    [Fact]
    public void EmptyTensors_ShowSizeAndDtype()
    {
        Assert.Equal("tensor([])", Tensor.Zeros(0).ToString());
        Assert.Equal("tensor([], size=(2, 0))", Tensor.Zeros(2, 0).ToString());
        Assert.Equal("tensor([], dtype=torch.int64)", Tensor.Arange(0).ToString());
        Assert.Equal("tensor([], dtype=torch.float64)", Tensor.Zeros([0], DType.Float64).ToString());
    }

    [Fact]
    public void ThreeDimensions_SeparateBlocksWithABlankLine()
    {
        Assert.Equal(
            "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]], dtype=torch.float64)",
            Check.Seq(2, 2, 2).ToString());
    }

    [Fact]
    public void LongRows_WrapAtEightyColumns()
    {
        Assert.Equal(
            "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n" +
            "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])",
            Tensor.Arange(30).ToString());
    }

    [Fact]
    public void LargeTensors_AreSummarisedWithEllipsis()
    {
        Assert.Equal("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])", Tensor.Arange(2000).ToString());
        Assert.Equal(
            "tensor([[   0,    1],\n        [   2,    3],\n        [   4,    5],\n        ...,\n" +
            "        [1994, 1995],\n        [1996, 1997],\n        [1998, 1999]])",
            Tensor.Arange(2000).View(1000, 2).ToString());
        // Non-contiguous views print their own elements.
        Assert.Equal("tensor([[0, 2],\n        [1, 3]])", Tensor.Arange(4).View(2, 2).T().ToString());
    }
}
