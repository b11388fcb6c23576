using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

public class MatMulTests
{
    [Fact]
    public void MM_HandComputed()
    {
        // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
        var a = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 2, 2);
        var b = Tensor.FromArray(new double[] { 5, 6, 7, 8 }, 2, 2);
        Check.Values(a.MM(b), [2, 2], 19, 22, 43, 50);
        Check.Values(a.Float().MM(b.Float()), [2, 2], 19, 22, 43, 50);
        // (2 × 3) · (3 × 1)
        var c = Tensor.FromArray(new double[] { 1, 0, -1, 2, 3, 4 }, 2, 3);
        Check.Values(c.MM(Tensor.FromArray(new double[] { 1, 2, 3 }, 3, 1)), [2, 1], -2, 20);
    }

    [Fact]
    public void Transpose_Identity_ABt_Equals_BtAt()
    {
        var g = new Generator(7);
        var a = Tensor.Randn([4, 5], DType.Float64, g);
        var b = Tensor.Randn([5, 3], DType.Float64, g);
        Check.Close(a.MM(b).T(), b.T().MM(a.T()), 1e-12);
        // Transposed and strided operands give the same result as their contiguous copies.
        Check.Close(b.T().Contiguous().MM(a.T().Contiguous()), b.T().MM(a.T()), 1e-12);
        var wide = Tensor.Randn([4, 10], DType.Float64, g);
        var strided = wide.Slice(1, 0, null, 2);                // (4, 5) with column stride 2
        Check.Close(strided.Contiguous().MM(b), strided.MM(b), 1e-12);
    }

    [Fact]
    public void MatMul_VectorCases()
    {
        var v = Tensor.FromArray(new double[] { 1, 2, 3 });
        var w = Tensor.FromArray(new double[] { 4, 5, 6 });
        Check.Values(v.MatMul(w), [], 32);
        var m = Tensor.FromArray(new double[] { 1, 0, 0, 0, 1, 1 }, 2, 3);
        Check.Values(m.MatMul(v), [2], 1, 5);
        Check.Values(Tensor.FromArray(new double[] { 1, 2 }).MatMul(m), [3], 1, 2, 2);
    }

    [Fact]
    public void MatMul_BroadcastsBatchDims_AgreesWithPerMatrixMM()
    {
        var g = new Generator(8);
        var a = Tensor.Randn([2, 1, 3, 4], DType.Float64, g);
        var b = Tensor.Randn([5, 4, 2], DType.Float64, g);
        var r = a.MatMul(b);
        Assert.Equal(new Shape(2, 5, 3, 2), r.Shape);
        for (var i = 0; i < 2; i++)
        {
            for (var j = 0; j < 5; j++)
            {
                Check.Close(a[i, 0].MM(b[j]), r[i, j], 1e-12);
            }
        }
    }

    [Fact]
    public void MatMul_3DTimes2D_AgreesWithPerBatchMM_AndBMM()
    {
        var g = new Generator(9);
        var x = Tensor.Randn([3, 4, 5], DType.Float64, g);
        var w = Tensor.Randn([5, 2], DType.Float64, g);
        var r = x.MatMul(w);
        Assert.Equal(new Shape(3, 4, 2), r.Shape);
        var xt = x.Transpose(0, 1);                    // non-contiguous batch input
        for (var i = 0; i < 3; i++)
        {
            Check.Close(x[i].MM(w), r[i], 1e-12);
        }
        Check.Close(xt.Contiguous().MatMul(w), xt.MatMul(w), 1e-12);
        var b = Tensor.Randn([3, 5, 2], DType.Float64, g);
        var bmm = x.BMM(b);
        for (var i = 0; i < 3; i++)
        {
            Check.Close(x[i].MM(b[i]), bmm[i], 1e-12);
        }
        Check.Close(x.Transpose(1, 2).Contiguous().Transpose(1, 2).BMM(b), bmm, 1e-12);
    }

    [Fact]
    public void ShapeErrors_NameOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Ones(2, 3).MM(Tensor.Ones(4, 2)));
        Assert.Contains("mm", e.Message);
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(4, 2)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Ones(5, 2, 3).MatMul(Tensor.Ones(4)));
        Assert.Contains("matmul", e.Message);
        Assert.Contains("(5, 2, 3)", e.Message);
        Assert.Contains("(4,)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Ones(2, 2, 3).BMM(Tensor.Ones(3, 3, 2)));
        Assert.Contains("bmm", e.Message);
        Assert.Contains("(2, 2, 3)", e.Message);
        Assert.Contains("(3, 3, 2)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Ones(2, 3, 4).MatMul(Tensor.Ones(3, 4, 2)));
        Assert.Contains("matmul", e.Message);
        Assert.Throws<InvalidOperationException>(() => Tensor.Arange(4).View(2, 2).MM(Tensor.Arange(4).View(2, 2)));
    }

    [Fact]
    public void Backward_GradCheck()
    {
        var g = new Generator(10);
        Check.Grad(x => x[0].MM(x[1]), Check.R(g, 3, 4), Check.R(g, 4, 2));
        Check.Grad(x => x[0].T().MM(x[1].T()), Check.R(g, 4, 3), Check.R(g, 2, 4));
        Check.Grad(x => x[0].BMM(x[1]), Check.R(g, 2, 3, 4), Check.R(g, 2, 4, 2));
        Check.Grad(x => x[0].MatMul(x[1]), Check.R(g, 4), Check.R(g, 4));
        Check.Grad(x => x[0].MatMul(x[1]), Check.R(g, 3, 4), Check.R(g, 4));
        Check.Grad(x => x[0].MatMul(x[1]), Check.R(g, 4), Check.R(g, 2, 4, 3));
        Check.Grad(x => x[0].MatMul(x[1]), Check.R(g, 2, 3, 4), Check.R(g, 4, 2));
        Check.Grad(x => x[0].MatMul(x[1]), Check.R(g, 2, 1, 3, 4), Check.R(g, 3, 4, 2));
    }
}
