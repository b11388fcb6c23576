using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

public class CatStackChunkSplitTests
{
    [Fact]
    public void Cat_HandComputed()
    {
        var a = Check.Seq(2, 2);
        var b = Check.Seq(1, 2).Add(10);
        Check.Values(Tensor.Cat([a, b]), [3, 2], 0, 1, 2, 3, 10, 11);
        Check.Values(Tensor.Cat([a, a.Add(4)], 1), [2, 4], 0, 1, 4, 5, 2, 3, 6, 7);
        Check.Values(Tensor.Cat([a.T(), a], -1), [2, 4], 0, 2, 0, 1, 1, 3, 2, 3);
        Assert.Equal(DType.Float64, Tensor.Cat([Tensor.Ones(2), Tensor.Ones([2], DType.Float64)]).DType);
    }

    [Fact]
    public void Stack_AddsANewDim()
    {
        var a = Tensor.FromArray(new double[] { 1, 2 });
        var b = Tensor.FromArray(new double[] { 3, 4 });
        Check.Values(Tensor.Stack([a, b]), [2, 2], 1, 2, 3, 4);
        Check.Values(Tensor.Stack([a, b], 1), [2, 2], 1, 3, 2, 4);
        Check.Values(Tensor.Stack([a, b], -1), [2, 2], 1, 3, 2, 4);
    }

    [Fact]
    public void ChunkThenCat_IsIdentity()
    {
        var x = Tensor.Randn([7, 5], DType.Float64, new Generator(1));
        foreach (var chunks in new[] { 1, 2, 3, 4, 7 })
        {
            for (var d = 0; d < 2; d++)
            {
                Assert.True(Tensor.Cat(x.Chunk(chunks, d), d).Equal(x));
                Assert.True(Tensor.Cat(x.Split(2, d), d).Equal(x));
                Assert.True(Tensor.Stack(x.Unbind(d), d).Equal(x));
            }
        }
    }

    [Fact]
    public void Chunk_SizesFollowTorch()
    {
        // torch.chunk: each chunk has ceil(n / chunks) elements, the last what remains (so fewer chunks can result).
        Assert.Equal(new[] { 3, 3, 1 }, Check.Seq(7).Chunk(3).Select(t => t.Size(0)));
        Assert.Equal(new[] { 2, 2, 2 }, Check.Seq(6).Chunk(3).Select(t => t.Size(0)));
        Assert.Equal(new[] { 2, 2 }, Check.Seq(4).Chunk(3).Select(t => t.Size(0)));   // torch gives 2 chunks here too
        Assert.Equal(new[] { 2, 2, 1 }, Check.Seq(5).Split(2).Select(t => t.Size(0)));
        var parts = Check.Seq(2, 6).Split([1, 3, 2], 1);
        Check.Values(parts[1], [2, 3], 1, 2, 3, 7, 8, 9);
        Check.Values(parts[2], [2, 2], 4, 5, 10, 11);
    }

    [Fact]
    public void LstmGateSplit_ChunkFourAlongLastDim()
    {
        // gates (batch, 4 * hidden).chunk(4, 1) -> i, f, g, o, each (batch, hidden), in that order.
        var gates = Check.Seq(2, 8);
        var c = gates.Chunk(4, 1);
        Assert.Equal(4, c.Length);
        Check.Values(c[0], [2, 2], 0, 1, 8, 9);
        Check.Values(c[3], [2, 2], 6, 7, 14, 15);
    }

    [Fact]
    public void Errors_NameOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Ones(2, 3), Tensor.Ones(2, 4)]));
        Assert.Contains("cat", e.Message);
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(2, 4)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Stack([Tensor.Ones(2, 3), Tensor.Ones(3, 2)]));
        Assert.Contains("stack", e.Message);
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(3, 2)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Check.Seq(2, 6).Split([1, 2], 1));
        Assert.Contains("split", e.Message);
        Assert.Contains("(2, 6)", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Scalar(1), Tensor.Scalar(2)]));
        Assert.Throws<ArgumentException>(() => Tensor.Cat(Array.Empty<Tensor>()));
        Assert.Throws<ArgumentException>(() => Check.Seq(4).Chunk(0));
    }

    [Fact]
    public void Backward_GradCheck()
    {
        var g = new Generator(12);
        Check.Grad(x => Tensor.Cat([x[0], x[1].Mul(2), x[0]], 1), Check.R(g, 2, 3), Check.R(g, 2, 1));
        Check.Grad(x => Tensor.Stack([x[0], x[1].Tanh()], 1), Check.R(g, 3, 2), Check.R(g, 3, 2));
        Check.Grad(x =>
        {
            var c = x[0].Chunk(3, 1);
            return c[0].Mul(c[1]).Add(c[2].Sigmoid());
        }, Check.R(g, 2, 6));
        Check.Grad(x =>
        {
            var p = x[0].Split([1, 2], 0);
            return p[0].Mul(p[1].Sum(0));
        }, Check.R(g, 3, 2));
        Check.Grad(x => Tensor.Stack(x[0].Unbind(1).Reverse().ToArray()), Check.R(g, 2, 3));
    }
}
