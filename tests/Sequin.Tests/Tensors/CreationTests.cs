using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

public class CreationTests
{
    [Fact]
    public void ZerosOnesFull_HaveShapeDtypeAndValue()
    {
        Check.Values(Tensor.Zeros(2, 3), [2, 3], 0, 0, 0, 0, 0, 0);
        Check.Values(Tensor.Ones([2], DType.Float64), [2], 1, 1);
        Check.Values(Tensor.Full([3], 2.5), [3], 2.5, 2.5, 2.5);
        Assert.Equal(DType.Float32, Tensor.Zeros(1).DType);
        Assert.Equal(DType.Float64, Tensor.Ones([1], DType.Float64).DType);
        Assert.Equal(DType.Int64, Tensor.Full([1], 3, DType.Int64).DType);
        Assert.Equal(new Shape(4, 0), Tensor.Empty([4, 0]).Shape);
        Assert.Equal(0, Tensor.Empty([4, 0]).Numel);
    }

    [Fact]
    public void Scalar_IsZeroDimensional()
    {
        var s = Tensor.Scalar(3.5);
        Assert.Equal(0, s.Dim);
        Assert.Equal(1, s.Numel);
        Assert.Equal(3.5, s.Item());
        Assert.Equal("()", s.Shape.ToString());
    }

    [Fact]
    public void Arange_MatchesTorchArangeLengthRule()
    {
        // torch.arange(start, end, step) has ceil((end - start) / step) elements.
        Check.Values(Tensor.Arange(5), [5], 0, 1, 2, 3, 4);
        Check.Values(Tensor.Arange(0, 1, 0.25, DType.Float32), [4], 0, 0.25, 0.5, 0.75);
        Check.Values(Tensor.Arange(5, 0, -2), [3], 5, 3, 1);
        Check.Values(Tensor.Arange(2, 2), [0]);
        Assert.Equal(DType.Int64, Tensor.Arange(3).DType);
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 5, -1));
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 5, 0));
    }

    [Fact]
    public void FromArray_CopiesDataAndKeepsRowMajorOrder()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var t = Tensor.FromArray(data, 2, 3);
        data[0] = 100;
        Check.Values(t, [2, 3], 1, 2, 3, 4, 5, 6);
        Assert.Equal(6.0, t.GetValue(1, 2));
        Assert.Equal(4.0, t.GetValue(-1, 0));
        Check.Values(Tensor.FromArray(new long[] { 7, 8 }), [2], 7, 8);
        Check.Values(Tensor.FromArray(new double[] { 9 }), [], 9);
    }

    [Fact]
    public void LikeVariants_CopyShapeAndDtype()
    {
        var x = Tensor.Ones([2, 3], DType.Float64);
        Assert.Equal(x.Shape, Tensor.ZerosLike(x).Shape);
        Assert.Equal(DType.Float64, Tensor.ZerosLike(x).DType);
        Assert.Equal(DType.Int64, Tensor.OnesLike(x, DType.Int64).DType);
        Check.Values(Tensor.FullLike(x, 7), [2, 3], 7, 7, 7, 7, 7, 7);
        Assert.Equal(x.Shape, Tensor.RandnLike(x, new Generator(1)).Shape);
        Assert.Equal(DType.Float64, Tensor.RandLike(x, new Generator(1)).DType);
        Assert.Equal(x.Shape, Tensor.EmptyLike(x).Shape);
    }

    [Fact]
    public void To_ConvertsDtypes_TruncatingTowardZeroForIntegers()
    {
        var x = Tensor.FromArray(new[] { -1.7f, 0.5f, 2.9f });
        Check.Values(x.Long(), [3], -1, 0, 2);
        Assert.Equal(DType.Int64, x.Long().DType);
        Check.Values(x.Double(), [3], -1.7f, 0.5f, 2.9f);
        Check.Values(Tensor.Arange(3).Float(), [3], 0, 1, 2);
        Assert.Same(x, x.To(DType.Float32));
    }

    [Fact]
    public void To_Float32ToFloat64_IsDifferentiable()
    {
        var x = Tensor.Randn([3], DType.Float32, new Generator(4), requiresGrad: true);
        x.Double().Mul(2.0).Sum().Backward();
        Assert.Equal(DType.Float32, x.Grad!.DType);
        Check.Values(x.Grad, [3], 2, 2, 2);
    }

    [Fact]
    public void ItemAndToArray()
    {
        Assert.Equal(5.0, Tensor.FromArray(new double[] { 5 }, 1, 1).Item());
        Assert.Equal(5L, Tensor.Full([1], 5, DType.Int64).Item<long>());
        var t = Check.Seq(2, 3).Transpose(0, 1);
        Assert.Equal(new double[] { 0, 3, 1, 4, 2, 5 }, t.ToArray<double>());
        Assert.Throws<InvalidOperationException>(() => t.ToArray<float>());
        Assert.Throws<InvalidOperationException>(() => t.AsSpan<double>());
        Assert.Equal(6, t.Contiguous().AsSpan<double>().Length);
    }

    [Fact]
    public void RequiresGrad_OnlyOnFloatingLeaves()
    {
        Assert.Throws<InvalidOperationException>(() => Tensor.Arange(3).RequiresGrad = true);
        var x = Tensor.Ones([2], requiresGrad: true);
        var y = x.Mul(2.0);
        Assert.True(y.RequiresGrad);
        Assert.False(y.IsLeaf);
        Assert.True(x.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
    }
}
