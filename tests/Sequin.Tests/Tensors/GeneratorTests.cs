using Sequin.Tensors;

namespace Sequin.Tests.Tensors;

/// <summary>Tests that reseed the process-wide default generator run alone: other test classes draw from it in parallel.</summary>
[CollectionDefinition(nameof(DefaultGeneratorCollection), DisableParallelization = true)]
public sealed class DefaultGeneratorCollection;

[Collection(nameof(DefaultGeneratorCollection))]
public class GeneratorTests
{
    [Fact]
    public void SameSeed_SameTensors_DifferentSeed_DifferentTensors()
    {
        Assert.True(Tensor.Randn([50], DType.Float32, new Generator(42)).Equal(Tensor.Randn([50], DType.Float32, new Generator(42))));
        Assert.True(Tensor.Rand([50], DType.Float64, new Generator(42)).Equal(Tensor.Rand([50], DType.Float64, new Generator(42))));
        Assert.True(Tensor.RandInt(0, 10, [50], generator: new Generator(42)).Equal(Tensor.RandInt(0, 10, [50], generator: new Generator(42))));
        Assert.False(Tensor.Randn([50], DType.Float32, new Generator(42)).Equal(Tensor.Randn([50], DType.Float32, new Generator(43))));
        Assert.False(Tensor.Rand([50], DType.Float64, new Generator(1)).Equal(Tensor.Rand([50], DType.Float64, new Generator(2))));
    }

    [Fact]
    public void ManualSeed_ReseedsTheDefaultGenerator()
    {
        Generator.ManualSeed(123);
        var a = Tensor.Randn(10);
        var a2 = Tensor.Rand(10);
        Generator.ManualSeed(123);
        Assert.True(a.Equal(Tensor.Randn(10)));
        Assert.True(a2.Equal(Tensor.Rand(10)));
        Assert.Equal(123, Generator.Default.InitialSeed);
    }

    [Fact]
    public void StateRoundTrip_ResumesTheStream()
    {
        var g = new Generator(7);
        g.NextNormal();                                 // leaves a spare normal in the state
        var state = g.GetState();
        var expected = Tensor.Randn([9], DType.Float64, g);
        var h = new Generator(0);
        h.SetState(state);
        Assert.True(expected.Equal(Tensor.Randn([9], DType.Float64, h)));
        Assert.Throws<ArgumentException>(() => h.SetState([1, 2]));
    }

    [Fact]
    public void Distributions_HaveTheRightRangeAndMoments()
    {
        var g = new Generator(2024);
        var u = Tensor.Rand([20000], DType.Float64, g, -1, 3);
        Assert.True(u.Min().Item() >= -1 && u.Max().Item() < 3);
        Assert.Equal(1.0, u.Mean().Item(), 1);                  // (−1 + 3) / 2, standard error ≈ 0.008
        var n = Tensor.Randn([20000], DType.Float64, g);
        Assert.Equal(0.0, n.Mean().Item(), 1);
        Assert.Equal(1.0, n.Pow(2).Mean().Item(), 1);
        var k = Tensor.RandInt(3, 7, [1000], generator: g);
        Assert.Equal(3.0, k.Min().Item());
        Assert.Equal(6.0, k.Max().Item());
        Assert.Throws<ArgumentException>(() => Tensor.RandInt(5, 5, [1]));
    }
}
