using Sequin.Autograd;
using Sequin.Tensors;
using Sequin.Tests.Tensors;

namespace Sequin.Tests.Autograd;

public class GradCheckTests
{
    [Fact]
    public void CorrectBackward_Passes()
    {
        var x = Check.R(new Generator(1), 3, 2);
        var r = GradCheck.Run(t => t[0].Mul(t[0]).Tanh(), [x]);
        Assert.True(r.Passed, r.Message);
        Assert.True(r.MaxAbsError < 1e-6);
    }

    [Fact]
    public void DeliberatelyWrongBackward_Fails_AndPointsAtTheElement()
    {
        // Forward 2x, backward claims 3x: GradCheck must catch it.
        var x = Check.R(new Generator(2), 2, 2);
        var r = GradCheck.Run(t => Tensor.Record(t[0].Detach().Mul(2.0), "WrongBackward", [t[0]], g => [g.Mul(3.0)]), [x]);
        Assert.False(r.Passed);
        Assert.True(r.MaxAbsError > 0.1);
        Assert.Contains("input 0", r.Message);
        Assert.Contains("(2, 2)", r.Message);
    }

    [Fact]
    public void BackwardWrongInOneElementOnly_Fails()
    {
        var x = Check.R(new Generator(3), 4);
        var r = GradCheck.Run(t => Tensor.Record(t[0].Detach().Mul(1.0), "OffByOneElement", [t[0]],
            g => [g.Add(Tensor.FromArray(new double[] { 0, 0, 0.01, 0 }))]), [x]);
        Assert.False(r.Passed);
        Assert.Contains("(2,)", r.Message);
    }

    [Fact]
    public void MissingGradient_Fails()
    {
        // A backward that drops one input's gradient is as wrong as a bad formula.
        var g = new Generator(4);
        var a = Check.R(g, 3);
        var b = Check.R(g, 3);
        var r = GradCheck.Run(t => Tensor.Record(t[0].Mul(t[1]).Detach(), "DropsB", [t[0], t[1]], go => [go.Mul(t[1]), null]), [a, b]);
        Assert.False(r.Passed);
        Assert.Contains("input 1", r.Message);
    }

    [Fact]
    public void Float32Inputs_AreRejected()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        var e = Assert.Throws<ArgumentException>(() => GradCheck.Run(t => t[0].Mul(2.0), [x]));
        Assert.Contains("float64", e.Message);
    }
}
