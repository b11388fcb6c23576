using Sequin.Autograd;
using Sequin.Tensors;

namespace Sequin.Tests;

public class SmokeTests
{
    [Fact]
    public void MatMulAddTanh_GradientsMatchFiniteDifferences()
    {
        var g = new Generator(3);
        var a = Tensor.Randn([3, 4], DType.Float64, g, requiresGrad: true);
        var b = Tensor.Randn([4, 2], DType.Float64, g, requiresGrad: true);
        var c = Tensor.Randn([2], DType.Float64, g, requiresGrad: true);
        var r = GradCheck.Run(x => x[0].MatMul(x[1]).Add(x[2]).Tanh().Sum(1), [a, b, c]);
        Assert.True(r.Passed, r.Message);
    }
}
