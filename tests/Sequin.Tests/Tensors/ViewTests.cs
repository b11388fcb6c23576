using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

public class ViewTests
{
    [Fact]
    public void View_SharesStorage_WritesReachTheBase()
    {
        var x = Check.Seq(2, 6);
        var v = x.View(3, 4);
        Check.Values(v, [3, 4], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        v.SetValue(100, 2, 1);                   // element 9 in row-major order
        Assert.Equal(100.0, x.GetValue(1, 3));
        Check.Values(x.View(-1, 3), [4, 3], 0, 1, 2, 3, 4, 5, 6, 7, 8, 100, 10, 11);
    }

    [Theory]
    [InlineData("transpose")]
    [InlineData("permute")]
    [InlineData("narrow")]
    [InlineData("select")]
    [InlineData("slice")]
    [InlineData("unsqueeze")]
    [InlineData("squeeze")]
    [InlineData("expand")]
    [InlineData("detach")]
    [InlineData("indexer")]
    [InlineData("chunk")]
    [InlineData("split")]
    [InlineData("unbind")]
    [InlineData("reshape")]
    public void EveryViewOperation_SharesStorage(string op)
    {
        var x = Check.Seq(1, 3, 4);
        // (view, index into the view, the base index that element must be)
        (Tensor View, int[] At, int[] Base) c = op switch
        {
            "transpose" => (x.Transpose(1, 2), [0, 3, 1], [0, 1, 3]),
            "permute" => (x.Permute(2, 0, 1), [3, 0, 2], [0, 2, 3]),
            "narrow" => (x.Narrow(2, 1, 2), [0, 2, 1], [0, 2, 2]),
            "select" => (x.Select(1, -1), [0, 3], [0, 2, 3]),
            "slice" => (x.Slice(2, 1, null, 2), [0, 1, 1], [0, 1, 3]),
            "unsqueeze" => (x.Unsqueeze(-1), [0, 2, 3, 0], [0, 2, 3]),
            "squeeze" => (x.Squeeze(), [1, 2], [0, 1, 2]),
            "expand" => (x.Expand(2, 3, 4), [1, 1, 1], [0, 1, 1]),
            "detach" => (x.Detach(), [0, 1, 1], [0, 1, 1]),
            "indexer" => (x[0, 1..], [1, 0], [0, 2, 0]),
            "chunk" => (x.Chunk(2, 2)[1], [0, 0, 1], [0, 0, 3]),
            "split" => (x.Split([1, 2], 1)[1], [0, 1, 0], [0, 2, 0]),
            "unbind" => (x.Unbind(1)[2], [0, 3], [0, 2, 3]),
            _ => (x.Reshape(3, 4), [2, 2], [0, 2, 2]),
        };
        Assert.Equal(x.GetValue(c.Base), c.View.GetValue(c.At));
        c.View.SetValue(-42, c.At);
        Assert.Equal(-42.0, x.GetValue(c.Base));
    }

    [Fact]
    public void View_OnNonContiguous_AllowedWhenStridesAreCompatible()
    {
        var x = Check.Seq(2, 3, 4).Transpose(0, 1);   // (3, 2, 4), strides (4, 12, 1)
        Assert.False(x.IsContiguous);
        var split = x.View(3, 2, 2, 2);                // splits only the contiguous last dimension
        Assert.Equal(x.ToArray<double>(), split.ToArray<double>());
        split.SetValue(-1, 2, 1, 1, 1);
        Assert.Equal(-1.0, x.GetValue(2, 1, 3));
        Assert.Equal(new[] { 4, 12, 2, 1 }, split.Strides);

        var t = Check.Seq(4, 3).T();                   // (3, 4), strides (1, 3)
        Assert.Equal(t.ToArray<double>(), t.View(3, 1, 4).ToArray<double>());
        var n = Check.Seq(4, 6).Narrow(1, 0, 3);       // (4, 3), strides (6, 1)
        Assert.Equal(n.ToArray<double>(), n.View(2, 2, 3).ToArray<double>());
    }

    [Fact]
    public void View_OnNonContiguous_ThrowsWhenItWouldNeedACopy_ReshapeCopies()
    {
        var x = Check.Seq(2, 3, 4).Transpose(0, 1);
        var e = Assert.Throws<InvalidOperationException>(() => x.View(6, 4));
        Assert.Contains("view", e.Message);
        Assert.Contains("(3, 2, 4)", e.Message);
        Assert.Contains("(6, 4)", e.Message);
        Assert.Contains("Reshape", e.Message);
        Assert.Throws<InvalidOperationException>(() => Check.Seq(4, 3).T().View(12));

        var r = x.Reshape(6, 4);
        Assert.Equal(x.ToArray<double>(), r.ToArray<double>());
        r.SetValue(-5, 0, 0);
        Assert.Equal(0.0, x.GetValue(0, 0, 0));      // a copy: the base is untouched
        var viewable = x.Reshape(3, 2, 2, 2);
        viewable.SetValue(-5, 0, 0, 0, 0);
        Assert.Equal(-5.0, x.GetValue(0, 0, 0));     // viewable: Reshape returns a view, as in PyTorch
    }

    [Fact]
    public void View_InfersMinusOne_AndRejectsBadSizes()
    {
        var x = Check.Seq(4, 6);
        Assert.Equal(new Shape(2, 12), x.View(2, -1).Shape);
        Assert.Equal(new Shape(24), x.View(-1).Shape);
        Assert.Throws<ArgumentException>(() => x.View(-1, -1));
        Assert.Throws<ArgumentException>(() => x.View(5, -1));
        Assert.Throws<ArgumentException>(() => x.View(5, 5));
    }

    [Fact]
    public void Transpose_Permute_Movedim_T_Values()
    {
        var x = Check.Seq(2, 3);
        Check.Values(x.T(), [3, 2], 0, 3, 1, 4, 2, 5);
        Check.Values(x.Transpose(-1, 0), [3, 2], 0, 3, 1, 4, 2, 5);
        var y = Check.Seq(2, 3, 4);
        var p = y.Permute(2, 0, 1);
        Assert.Equal(new Shape(4, 2, 3), p.Shape);
        Assert.Equal(y.GetValue(1, 2, 3), p.GetValue(3, 1, 2));
        Assert.Equal(new Shape(3, 4, 2), y.Movedim(0, -1).Shape);
        Assert.Equal(y.GetValue(1, 0, 2), y.Movedim(0, -1).GetValue(0, 2, 1));
        var row = x.Select(0, 0);
        Assert.Same(row, row.T());
    }

    [Fact]
    public void SqueezeUnsqueezeFlatten_Shapes()
    {
        var x = Tensor.Zeros(1, 3, 1, 2);
        Assert.Equal(new Shape(3, 2), x.Squeeze().Shape);
        Assert.Equal(new Shape(3, 1, 2), x.Squeeze(0).Shape);
        Assert.Equal(new Shape(1, 3, 1, 2), x.Squeeze(1).Shape);
        Assert.Equal(new Shape(1, 3, 1, 2, 1), x.Unsqueeze(-1).Shape);
        Assert.Equal(new Shape(1, 1, 3, 1, 2), x.Unsqueeze(1).Shape);
        Assert.Equal(new Shape(6), x.Flatten().Shape);
        Assert.Equal(new Shape(1, 3, 2), x.Flatten(1, 2).Shape);
        Assert.Equal(new Shape(1), Tensor.Scalar(1).Flatten().Shape);
    }

    [Fact]
    public void Expand_BroadcastsWithZeroStrides()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, 3, 1);
        var e = x.Expand(2, 3, 4);
        Assert.Equal(new Shape(2, 3, 4), e.Shape);
        Assert.Equal(0, e.Strides[0]);
        Assert.Equal(0, e.Strides[2]);
        Assert.Equal(3.0, e.GetValue(1, 2, 3));
        Assert.Equal(new Shape(3, 5), x.Expand(-1, 5).Shape);
        Assert.Throws<ArgumentException>(() => x.Expand(2, 4));
    }

    [Fact]
    public void ContiguousAndClone()
    {
        var x = Check.Seq(2, 3);
        Assert.Same(x, x.Contiguous());
        var t = x.T();
        var c = t.Contiguous();
        Assert.True(c.IsContiguous);
        Assert.Equal(t.ToArray<double>(), c.ToArray<double>());
        var k = x.Clone();
        k.SetValue(-1, 0, 0);
        Assert.Equal(0.0, x.GetValue(0, 0));
    }

    [Fact]
    public void SeedIdiom_TransposeInPlace_SwapsTheObjectsDims()
    {
        // lstm_input.transpose_(1, 0): (batch, seq, feature) -> (seq, batch, feature) on the same object.
        var x = Check.Seq(2, 3, 4);
        var before = x.GetValue(1, 2, 3);
        var same = x.Transpose_(1, 0);
        Assert.Same(x, same);
        Assert.Equal(new Shape(3, 2, 4), x.Shape);
        Assert.Equal(before, x.GetValue(2, 1, 3));
        Assert.Throws<InvalidOperationException>(() => Tensor.Ones([2, 2], requiresGrad: true).Transpose_(0, 1));
    }

    [Fact]
    public void SeedIdiom_TransposeInPlace_OnNonLeaf_IsDifferentiable()
    {
        var g = new Generator(5);
        Check.Grad(x =>
        {
            var y = x[0].Mul(1.0);
            y.Transpose_(1, 0);
            return y.Mul(Tensor.Arange(0, 6, 1, DType.Float64).View(3, 2));
        }, Check.R(g, 2, 3));
    }

    [Fact]
    public void SeedIdiom_HnView_SeparatesLayersAndDirections()
    {
        // h_n of shape (num_layers * num_directions, batch, hidden) = (4, 3, 5) viewed as (2, 2, 3, 5).
        int numLayers = 2, numDirections = 2, batch = 3, hidden = 5;
        var hN = Check.Seq(numLayers * numDirections, batch, hidden);
        var v = hN.View(numLayers, numDirections, batch, hidden);
        Assert.Equal(new Shape(2, 2, 3, 5), v.Shape);
        // layer 1, backward direction is row 1 * 2 + 1 = 3 of h_n.
        Assert.Equal(hN[3].ToArray<double>(), v[1, 1].ToArray<double>());
        Assert.Equal(hN[^1].ToArray<double>(), v[-1, -1].ToArray<double>());
    }

    [Fact]
    public void Views_Backward_GradCheck()
    {
        var g = new Generator(11);
        var w = Tensor.Randn([4, 3, 2], DType.Float64, g);
        Check.Grad(x => x[0].View(4, 6).View(2, 2, 3, 2).Reshape(4, 3, 2).Mul(w), Check.R(g, 2, 12));
        Check.Grad(x => x[0].Transpose(0, 2).Permute(1, 2, 0).Contiguous().Mul(w.Permute(0, 2, 1)), Check.R(g, 2, 4, 3));
        Check.Grad(x => x[0].Transpose(0, 1).View(3, 2, 2).Mul(x[0].Transpose(0, 1).Reshape(3, 4).View(3, 2, 2)), Check.R(g, 4, 3));
        Check.Grad(x => x[0].Unsqueeze(1).Expand(3, 4, 2).Squeeze(0).Mul(w.Select(0, 0).Unsqueeze(1)), Check.R(g, 3, 2));
        Check.Grad(x => x[0].Narrow(1, 1, 2).Slice(0, 1, null, 2).Flatten().Clone(), Check.R(g, 5, 4));
        Check.Grad(x => x[0].Select(1, -1).Squeeze().Movedim(0, 1), Check.R(g, 3, 4, 1, 2));
    }
}
