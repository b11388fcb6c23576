using Sequin.Autograd;
using Sequin.Tensors;
using Sequin.Tests.Tensors;

namespace Sequin.Tests.Autograd;

public class EngineTests
{
    [Fact]
    public void Grad_AccumulatesAcrossBackwardCalls_UntilZeroGrad()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }).RequiresGrad_();
        x.Mul(x).Sum().Backward();                     // d/dx Σx² = 2x
        Check.Values(x.Grad!, [2], 2, 4);
        x.Mul(3.0).Sum().Backward();
        Check.Values(x.Grad!, [2], 5, 7);
        x.ZeroGrad();
        Assert.Null(x.Grad);
        x.Mul(3.0).Sum().Backward();
        Check.Values(x.Grad!, [2], 3, 3);
    }

    [Fact]
    public void Backward_WithExplicitGradient_IsAVectorJacobianProduct()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }).RequiresGrad_();
        var y = x.Mul(x);                               // Jacobian diag(2x)
        y.Backward(Tensor.FromArray(new double[] { 1, 10, 100 }));
        Check.Values(x.Grad!, [3], 2, 40, 600);
        var z = Tensor.FromArray(new double[] { 1, 2 }).RequiresGrad_();
        z.Mul(2.0).Backward(Tensor.FromArray(new float[] { 1, 1 }));   // a float32 gradient is converted
        Assert.Equal(DType.Float64, z.Grad!.DType);
    }

    [Fact]
    public void SharedSubexpressions_SumTheirGradients()
    {
        var x = Tensor.Scalar(3, DType.Float64, requiresGrad: true);
        var y = x.Mul(x);                               // y = x²
        var z = y.Add(y.Mul(x)).Add(x);                 // z = x² + x³ + x, dz/dx = 2x + 3x² + 1 = 34
        z.Backward();
        Assert.Equal(34.0, x.Grad!.Item(), 12);
    }

    [Fact]
    public void Backward_FromALeaf_GivesOnes()
    {
        var x = Tensor.Scalar(2, DType.Float64, requiresGrad: true);
        x.Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }

    [Fact]
    public void NoGrad_StopsRecording_AndNests()
    {
        var w = Tensor.Ones([2], requiresGrad: true);
        Assert.True(NoGrad.IsGradEnabled);
        Tensor y;
        using (new NoGrad())
        {
            using (new NoGrad())
            {
                Assert.False(NoGrad.IsGradEnabled);
            }
            Assert.False(NoGrad.IsGradEnabled);
            y = w.Mul(2.0);
        }
        Assert.True(NoGrad.IsGradEnabled);
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.NotNull(w.Mul(2.0).GradFn);
    }

    [Fact]
    public void Detach_SharesStorage_AndCutsTheGraph()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }).RequiresGrad_();
        var h = x.Mul(2.0);
        var d = h.Detach();
        Assert.False(d.RequiresGrad);
        Assert.Null(d.GradFn);
        Assert.True(d.IsLeaf);
        using (new NoGrad())
        {
            d.SetValue(-1, 0);
        }
        Assert.Equal(-1.0, h.GetValue(0));             // same storage
        d.Mul(x).Sum().Backward();                     // only the direct path reaches x
        Check.Values(x.Grad!, [2], -1, 4);
    }

    [Fact]
    public void GradFn_NamesTheOperation()
    {
        var x = Tensor.Ones([2, 2], requiresGrad: true);
        Assert.Equal("MulBackward0", x.Mul(2.0).GradFn!.Name);
        Assert.Equal("SumBackward0", x.Sum().GradFn!.Name);
        Assert.Equal("MmBackward0", x.MM(x).GradFn!.Name);
        Assert.Same(x, x.Mul(2.0).GradFn!.Inputs[0]);
        Assert.Equal("<TanhBackward0>", x.Tanh().GradFn!.ToString());
    }

    [Fact]
    public void MixedPrecision_LeafGradKeepsTheLeafDtype()
    {
        var w = Tensor.Ones([3], DType.Float32, requiresGrad: true);
        var x = Tensor.FromArray(new double[] { 1, 2, 3 });
        w.Mul(x).Sum().Backward();
        Assert.Equal(DType.Float32, w.Grad!.DType);
        Check.Values(w.Grad, [3], 1, 2, 3);
    }

    [Fact]
    public void DeepChain_BackpropagatesWithoutStackOverflow()
    {
        // A BPTT-sized graph: 20,000 recorded ops in one chain (a recursive walk would overflow the stack).
        const int steps = 20_000;
        var x = Tensor.Scalar(1, DType.Float64, requiresGrad: true);
        var h = x;
        for (var i = 0; i < steps; i++)
        {
            h = h.Mul(1.0001);
        }
        h.Backward();
        Assert.Equal(Math.Pow(1.0001, steps), x.Grad!.Item(), 6);
    }

    [Fact]
    public void WideFanIn_EveryPathCounted()
    {
        var x = Tensor.Scalar(1, DType.Float64, requiresGrad: true);
        var acc = Tensor.Scalar(0, DType.Float64);
        for (var i = 0; i < 500; i++)
        {
            acc = acc.Add(x.Mul(i));
        }
        acc.Backward();
        Assert.Equal(499.0 * 500 / 2, x.Grad!.Item());
    }

    [Fact]
    public void IntermediateTensors_GetNoGrad()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        var h = x.Mul(2.0);
        h.Sum().Backward();
        Assert.Null(h.Grad);
        Assert.NotNull(x.Grad);
    }
}
