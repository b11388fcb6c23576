using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

/// <summary>
/// The fused layers' saved activations are pooled: freed after the backward that uses them (PyTorch's default,
/// retain_graph=False) and reused by the next forward. A second backward then throws unless the graph was retained,
/// and reused buffers never leak values from an earlier call.
/// </summary>
public class SavedActivationsTests
{
    private static (Tensor Y, Tensor X) Run(LSTM m, int seed)
    {
        var x = Tensor.Randn([6, 4, 3], DType.Float64, new Generator(seed), requiresGrad: true);
        var (y, _, _) = m.Forward(x);
        return (y, x);
    }

    [Fact]
    public void SecondBackward_ThroughAFusedLayer_Throws()
    {
        var m = new LSTM(3, 5, dtype: DType.Float64, generator: new Generator(1));
        var (y, _) = Run(m, 2);
        y.Sum().Backward();
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("retainGraph", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetainGraph_AllowsASecondBackward_ThatAccumulatesTheSameGradient()
    {
        var m = new LSTM(3, 5, dtype: DType.Float64, generator: new Generator(1));
        var (y, x) = Run(m, 2);
        y.Sum().Backward(retainGraph: true);
        var once = m.Parameters().Select(p => p.Grad!.ToDoubleArray()).Append(x.Grad!.ToDoubleArray()).ToList();
        y.Sum().Backward();
        var twice = m.Parameters().Select(p => p.Grad!.ToDoubleArray()).Append(x.Grad!.ToDoubleArray()).ToList();
        for (var k = 0; k < once.Count; k++)
        {
            for (var i = 0; i < once[k].Length; i++)
            {
                Assert.Equal(2 * once[k][i], twice[k][i], 12);
            }
        }
    }

    /// <summary>
    /// Several training steps of different sizes and packings on one module, each checked against the autograd
    /// reference path: a pooled buffer that kept rows of an earlier, larger call would show up as a wrong gradient.
    /// </summary>
    [Fact]
    public void ReusedBuffers_GiveTheReferenceGradients_CallAfterCall()
    {
        var c = new RecurrentLayerTests.Config("GRU", 3, 6, 2, true, false, true, 0);
        var rng = new Random(5);
        for (var call = 0; call < 6; call++)
        {
            int steps = rng.Next(2, 9), batch = rng.Next(2, 7);
            var lengths = call % 2 == 0 ? null : Enumerable.Range(0, batch).Select(_ => rng.Next(1, steps + 1)).ToArray();
            if (lengths is not null)
            {
                lengths[0] = steps;
            }
            var grads = new List<double[]>[2];
            for (var pass = 0; pass < 2; pass++)
            {
                var m = c.Build(DType.Float64, 7);
                m.UseReferenceImplementation = pass == 1;
                var x = Tensor.Randn([steps, batch, 3], DType.Float64, new Generator(call), requiresGrad: true);
                Tensor y;
                if (lengths is null)
                {
                    y = ((GRU)m).Forward(x).Output;
                }
                else
                {
                    y = ((GRU)m).Forward(RnnUtils.PackPaddedSequence(x, lengths, enforceSorted: false)).Output.Data;
                }
                y.Mul(Tensor.RandnLike(y, new Generator(100 + call))).Sum().Backward();
                grads[pass] = [.. m.Parameters().Select(p => p.Grad!.ToDoubleArray()), x.Grad!.ToDoubleArray()];
            }
            for (var k = 0; k < grads[0].Count; k++)
            {
                for (var i = 0; i < grads[0][k].Length; i++)
                {
                    Assert.True(Math.Abs(grads[0][k][i] - grads[1][k][i]) <= 1e-10, $"call {call} tensor {k} element {i}: fast {grads[0][k][i]}, reference {grads[1][k][i]}");
                }
            }
        }
    }
}
