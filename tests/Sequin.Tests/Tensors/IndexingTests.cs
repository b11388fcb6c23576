using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

public class IndexingTests
{
    private static Tensor T() => Check.Seq(4, 3, 2);

    [Fact]
    public void SeedIdiom_LastTimeStep_OutCaretOne()
    {
        // out[-1]: the last time step of (seq_len, batch, hidden) output.
        var output = T();
        var last = output[^1];
        Assert.Equal(new Shape(3, 2), last.Shape);
        Check.Values(last, [3, 2], 18, 19, 20, 21, 22, 23);
        Assert.True(output[-1].Equal(last));
        Assert.True(output[3].Equal(last));
    }

    [Fact]
    public void SeedIdiom_RangeFrom_Ht2Dots()
    {
        // ht[2:]: the last layers' states.
        var ht = T();
        var tail = ht[2..];
        Assert.Equal(new Shape(2, 3, 2), tail.Shape);
        Assert.True(tail.Equal(ht.Narrow(0, 2, 2)));
        Assert.True(ht[^2..].Equal(tail));
        Assert.True(ht[..^1].Equal(ht.Narrow(0, 0, 3)));
        Assert.True(ht[1..^1].Equal(ht.Narrow(0, 1, 2)));
        Assert.Equal(0, ht[^0..].Size(0));
        Assert.Equal(0, ht[3..1].Size(0));            // empty, as PyTorch's t[3:1]
        Assert.True(ht[..10].Equal(ht));               // bounds clamp, as in PyTorch slicing
    }

    [Fact]
    public void MultiDimIndices_EllipsisNewAxisAndSteps()
    {
        var t = T();
        Check.Values(t[.., 0], [4, 2], 0, 1, 6, 7, 12, 13, 18, 19);
        Check.Values(t[1, 2], [2], 10, 11);
        Check.Values(t[1, 2, -1], [], 11);
        Assert.True(t[TensorIndex.Ellipsis, 1].Equal(t.Select(2, 1)));
        Assert.True(t[0, TensorIndex.Ellipsis].Equal(t[0]));
        Assert.True(t[TensorIndex.Ellipsis, 1..2, 0].Equal(t.Narrow(1, 1, 1).Select(2, 0)));
        Assert.Equal(new Shape(1, 3, 2), t[1, TensorIndex.NewAxis].Shape);
        Assert.Equal(new Shape(4, 3, 1, 2), t[.., .., TensorIndex.NewAxis].Shape);
        Check.Values(t[TensorIndex.Slice(null, null, 2), 0, 0], [2], 0, 12);
        Check.Values(t[TensorIndex.Slice(1, null, 2), 0, 1], [2], 7, 19);
    }

    [Fact]
    public void Setter_WritesThroughTheView()
    {
        var t = T();
        t[0] = Tensor.Zeros([3, 2], DType.Float64);
        Assert.Equal(0.0, t.GetValue(0, 2, 1));
        t[.., 1] = Tensor.Scalar(-1, DType.Float64);
        Check.Values(t[.., 1], [4, 2], -1, -1, -1, -1, -1, -1, -1, -1);
        t[^1, .., 0] = Tensor.FromArray(new double[] { 7, 8, 9 });
        Check.Values(t[3], [3, 2], 7, 19, 8, -1, 9, 23);
    }

    [Fact]
    public void BadIndices_Throw()
    {
        var t = T();
        var e = Assert.Throws<IndexOutOfRangeException>(() => t[4]);
        Assert.Contains("select", e.Message);
        Assert.Contains("(4, 3, 2)", e.Message);
        Assert.Throws<IndexOutOfRangeException>(() => t[-5]);
        Assert.Throws<IndexOutOfRangeException>(() => t[0, 0, 0, 0]);
        Assert.Throws<ArgumentException>(() => TensorIndex.Slice(0, 2, 0));
    }

    [Fact]
    public void Backward_GradCheck()
    {
        var g = new Generator(13);
        Check.Grad(x => x[0][^1], Check.R(g, 4, 3, 2));
        Check.Grad(x => x[0][2..].Mul(x[0][..2]), Check.R(g, 4, 3));
        Check.Grad(x => x[0][.., 1, TensorIndex.NewAxis], Check.R(g, 4, 3, 2));
        Check.Grad(x => x[0][TensorIndex.Slice(1, null, 2), TensorIndex.Ellipsis, 0], Check.R(g, 5, 3, 2));
    }
}
