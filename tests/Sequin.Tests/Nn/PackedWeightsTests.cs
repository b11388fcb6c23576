using Sequin.Autograd;
using Sequin.Kernels;
using Sequin.Nn;
using Sequin.Optim;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

/// <summary>
/// <see cref="RNNBase.PackWeights"/>: inference with weights packed once must give the numbers of per-call packing bit
/// for bit, must really read the packed copies, and must follow the weights through LoadStateDict and training.
/// </summary>
/// <remarks>
/// In the collection of <see cref="InferencePathTests"/>, whose tests change the kernel settings (threads, unit split,
/// chunk rows) that decide a call's path: bit-for-bit comparisons must not see them change between two calls.
/// </remarks>
[Collection(InferencePathTests.KernelSettings)]
public class PackedWeightsTests
{
    /// <summary>Output, h_n and c_n (LSTM) of an inference forward, flattened to doubles.</summary>
    private static double[][] Infer(RNNBase m, Tensor x)
    {
        using var _ = new NoGrad();
        var outs = m switch
        {
            LSTM l => l.Forward(x) is var (y, hn, cn) ? new[] { y, hn, cn } : [],
            GRU g => g.Forward(x) is var (y, hn) ? new[] { y, hn } : [],
            RNN r => r.Forward(x) is var (y, hn) ? new[] { y, hn } : [],
            _ => throw new ArgumentException(m.GetType().Name),
        };
        return [.. outs.Select(t => t.To(DType.Float64).ToArray<double>())];
    }

    private static RNNBase Make(string mode, int input, int hidden, int layers, bool bidirectional, int proj, DType dtype, int seed) => mode switch
    {
        "lstm" => new LSTM(input, hidden, numLayers: layers, bidirectional: bidirectional, projSize: proj, dtype: dtype, generator: new Generator(seed)),
        "gru" => new GRU(input, hidden, numLayers: layers, bidirectional: bidirectional, dtype: dtype, generator: new Generator(seed)),
        _ => new RNN(input, hidden, numLayers: layers, bidirectional: bidirectional, dtype: dtype, generator: new Generator(seed)),
    };

    private static void AssertSameBits(double[][] expected, double[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    private static Tensor Param(RNNBase m, string name) => m.NamedParameters().Single(p => p.Name == name).Parameter;

    /// <summary>
    /// On a module with packed weights whose inference output is <paramref name="packed"/>: after <paramref name="edit"/>
    /// (in place, under NoGrad) inference still gives <paramref name="packed"/> (it reads the packed copies); after
    /// PackWeights it gives something else, which per-call packing (UnpackWeights) confirms bit for bit.
    /// </summary>
    private static void AssertEditSeenOnlyAfterRepacking(RNNBase m, Tensor x, double[][] packed, Action edit)
    {
        using (new NoGrad())
        {
            edit();
        }
        AssertSameBits(packed, Infer(m, x));
        m.PackWeights();
        var repacked = Infer(m, x);
        Assert.NotEqual(packed[0], repacked[0]);
        m.UnpackWeights();
        AssertSameBits(repacked, Infer(m, x));
    }

    /// <summary>Batch 3 at T = 100 packs W_ih (the projection runs in chunks) and W_hh; batch 64 runs row groups.</summary>
    [Theory]
    [InlineData("lstm", 100, 3, 1, false, 0, false)]
    [InlineData("lstm", 100, 3, 2, true, 0, true)]
    [InlineData("lstm", 20, 64, 1, false, 0, false)]
    [InlineData("lstm", 30, 5, 2, false, 4, false)]
    [InlineData("gru", 100, 3, 2, false, 0, false)]
    [InlineData("gru", 20, 64, 1, true, 0, false)]
    [InlineData("rnn", 100, 2, 2, true, 0, true)]
    [InlineData("lstm", 200, 1, 1, false, 0, false)]
    public void PackedWeights_GiveTheSameBitsAsPerCallPacking(string mode, int steps, int batch, int layers, bool bidirectional, int proj, bool float64)
    {
        var dt = float64 ? DType.Float64 : DType.Float32;
        var m = Make(mode, 24, 40, layers, bidirectional, proj, dt, 11);
        var x = Tensor.Randn([steps, batch, 24], dt, new Generator(12));
        var perCall = Infer(m, x);
        m.PackWeights();
        Assert.True(m.WeightsPacked);
        AssertSameBits(perCall, Infer(m, x));
        AssertSameBits(perCall, Infer(m, x)); // the packs are reused, not consumed
        m.UnpackWeights();
        Assert.False(m.WeightsPacked);
        AssertSameBits(perCall, Infer(m, x));
    }

    /// <summary>
    /// An in-place edit under NoGrad is not seen until PackWeights is called again: the stale output equals the old
    /// weights' output, which shows the layer really reads the packed copies.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(64)]
    public void PackedCopies_AreWhatInferenceReads_UntilRepacked(int batch)
    {
        var m = new LSTM(16, 32, generator: new Generator(1));
        var x = Tensor.Randn([100, batch, 16], DType.Float32, new Generator(2));
        var before = Infer(m, x);
        m.PackWeights();
        AssertEditSeenOnlyAfterRepacking(m, x, before, () =>
        {
            Param(m, "weight_hh_l0").Copy_(Tensor.Randn([128, 32], DType.Float32, new Generator(3)));
            Param(m, "weight_ih_l0").Copy_(Tensor.Randn([128, 16], DType.Float32, new Generator(4)));
        });
    }

    /// <summary>
    /// A small batch split by hidden units across threads: each part packs its rows into the module's copies in the
    /// first call and reuses them (an in-place edit is not seen until PackWeights), with the same bits as per-call packing.
    /// </summary>
    [Theory]
    [InlineData("lstm", 1)]
    [InlineData("lstm", 6)]
    [InlineData("gru", 1)]
    public void UnitSplit_ReusesThePackedParts(string mode, int batch)
    {
        var (threads, minElements, maxBatch) = (Parallelism.MaxThreads, FusedRecurrentLayer.UnitSplitMinElements, FusedRecurrentLayer.UnitSplitMaxBatch);
        Parallelism.MaxThreads = 3;
        FusedRecurrentLayer.UnitSplitMinElements = 0;
        FusedRecurrentLayer.UnitSplitMaxBatch = 8;
        try
        {
            // hidden 200 at 3 threads: parts of 64, 64 and 72 units.
            var m = Make(mode, 8, 200, 1, false, 0, DType.Float32, 13);
            var x = Tensor.Randn([30, batch, 8], DType.Float32, new Generator(14));
            var perCall = Infer(m, x);
            m.PackWeights();
            AssertSameBits(perCall, Infer(m, x));
            AssertSameBits(perCall, Infer(m, x));
            AssertEditSeenOnlyAfterRepacking(m, x, perCall, () =>
            {
                var whh = Param(m, "weight_hh_l0");
                whh.Copy_(whh.Mul(Tensor.Full(whh.ShapeArray, 0.5, DType.Float32)));
            });
        }
        finally
        {
            (Parallelism.MaxThreads, FusedRecurrentLayer.UnitSplitMinElements, FusedRecurrentLayer.UnitSplitMaxBatch) = (threads, minElements, maxBatch);
        }
    }

    [Fact]
    public void LoadStateDict_RepacksTheWeights_AlsoThroughAParentModule()
    {
        var m = new GRU(16, 32, generator: new Generator(5));
        var source = new GRU(16, 32, generator: new Generator(6));
        var x = Tensor.Randn([50, 4, 16], DType.Float32, new Generator(7));
        m.PackWeights();
        m.LoadStateDict(source.StateDict());
        AssertSameBits(Infer(source, x), Infer(m, x));

        var parent = new ModuleList(m);
        var other = new ModuleList(new GRU(16, 32, generator: new Generator(8)));
        parent.LoadStateDict(other.StateDict());
        Assert.True(m.WeightsPacked);
        AssertSameBits(Infer((GRU)other[0], x), Infer(m, x));
    }

    /// <summary>A training step between inference passes: the next inference pass reads the trained weights.</summary>
    [Fact]
    public void Training_DropsThePacks_AndTheNextInferenceUsesTheNewWeights()
    {
        var m = new LSTM(16, 32, generator: new Generator(9));
        var x = Tensor.Randn([100, 3, 16], DType.Float32, new Generator(10));
        m.PackWeights();
        var before = Infer(m, x);
        var opt = new SGD(m.Parameters(), lr: 0.5);
        var (y, _, _) = m.Forward(x);
        y.Sum().Backward();
        opt.Step();
        Assert.True(m.WeightsPacked);
        var trained = Infer(m, x);
        Assert.NotEqual(before[0], trained[0]);
        var reference = new LSTM(16, 32, generator: new Generator(11));
        reference.LoadStateDict(m.StateDict());
        AssertSameBits(Infer(reference, x), trained);
    }
}
