using Sequin.Autograd;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

/// <summary>Shape properties, finite-difference gradients and fast-vs-reference agreement of RNN/LSTM/GRU.</summary>
public class RecurrentLayerTests
{
    internal sealed record Config(string Mode, int Input, int Hidden, int Layers, bool Bias, bool BatchFirst, bool Bidirectional, int Proj)
    {
        public int Dirs => Bidirectional ? 2 : 1;

        public int Out => Proj > 0 ? Proj : Hidden;

        public RNNBase Build(DType dtype, long seed) => Mode switch
        {
            "LSTM" => new LSTM(Input, Hidden, Layers, Bias, BatchFirst, 0, Bidirectional, Proj, dtype, new Generator(seed)),
            "GRU" => new GRU(Input, Hidden, Layers, Bias, BatchFirst, 0, Bidirectional, dtype, new Generator(seed)),
            _ => new RNN(Input, Hidden, Layers, Mode == "RNN_RELU" ? "relu" : "tanh", Bias, BatchFirst, 0, Bidirectional, dtype, new Generator(seed)),
        };
    }

    internal static (Tensor Output, Tensor HN, Tensor? CN) Run(RNNBase m, Tensor x, Tensor? h0, Tensor? c0) => m switch
    {
        LSTM l => l.Forward(x, h0, c0),
        GRU g => ToTriple(g.Forward(x, h0)),
        RNN r => ToTriple(r.Forward(x, h0)),
        _ => throw new InvalidOperationException(),
    };

    internal static (PackedSequence Output, Tensor HN, Tensor? CN) Run(RNNBase m, PackedSequence x, Tensor? h0, Tensor? c0) => m switch
    {
        LSTM l => l.Forward(x, h0, c0),
        GRU g => ToTriple(g.Forward(x, h0)),
        RNN r => ToTriple(r.Forward(x, h0)),
        _ => throw new InvalidOperationException(),
    };

    private static (T, Tensor, Tensor?) ToTriple<T>((T O, Tensor H) p) => (p.O, p.H, null);

    internal static Config RandomConfig(Random rng)
    {
        var modes = new[] { "RNN_TANH", "RNN_RELU", "LSTM", "GRU" };
        var mode = modes[rng.Next(modes.Length)];
        var hidden = rng.Next(1, 6);
        var proj = mode == "LSTM" && hidden > 1 && rng.Next(2) == 0 ? rng.Next(1, hidden) : 0;
        return new Config(mode, rng.Next(1, 5), hidden, rng.Next(1, 4), rng.Next(4) != 0, rng.Next(2) == 0, rng.Next(2) == 0, proj);
    }

    [Fact]
    public void Shapes_MatchPyTorchForRandomConfigurations()
    {
        var rng = new Random(7);
        for (var trial = 0; trial < 60; trial++)
        {
            var c = RandomConfig(rng);
            var m = c.Build(DType.Float32, trial);
            int t = rng.Next(1, 6), b = rng.Next(1, 5);
            var batched = rng.Next(3) != 0;
            var shape = !batched ? new[] { t, c.Input } : c.BatchFirst ? [b, t, c.Input] : new[] { t, b, c.Input };
            var x = Tensor.Randn(shape, DType.Float32, new Generator(trial));
            var (o, hn, cn) = Run(m, x, null, null);
            var ld = c.Layers * c.Dirs;
            var wantOut = !batched ? new[] { t, c.Dirs * c.Out } : c.BatchFirst ? [b, t, c.Dirs * c.Out] : new[] { t, b, c.Dirs * c.Out };
            Assert.Equal(new Shape(wantOut), o.Shape);
            Assert.Equal(new Shape(batched ? [ld, b, c.Out] : new[] { ld, c.Out }), hn.Shape);
            if (c.Mode == "LSTM")
            {
                Assert.Equal(new Shape(batched ? [ld, b, c.Hidden] : new[] { ld, c.Hidden }), cn!.Shape);
            }
            else
            {
                Assert.Null(cn);
            }
        }
    }

    [Fact]
    public void Parameters_HavePyTorchNamesOrderAndShapes()
    {
        var m = new LSTM(3, 5, numLayers: 2, bidirectional: true, projSize: 2);
        var got = m.NamedParameters().Select(p => $"{p.Name}{p.Parameter.Shape}").ToArray();
        string[] want =
        [
            "weight_ih_l0(20, 3)", "weight_hh_l0(20, 2)", "bias_ih_l0(20,)", "bias_hh_l0(20,)", "weight_hr_l0(2, 5)",
            "weight_ih_l0_reverse(20, 3)", "weight_hh_l0_reverse(20, 2)", "bias_ih_l0_reverse(20,)", "bias_hh_l0_reverse(20,)", "weight_hr_l0_reverse(2, 5)",
            "weight_ih_l1(20, 4)", "weight_hh_l1(20, 2)", "bias_ih_l1(20,)", "bias_hh_l1(20,)", "weight_hr_l1(2, 5)",
            "weight_ih_l1_reverse(20, 4)", "weight_hh_l1_reverse(20, 2)", "bias_ih_l1_reverse(20,)", "bias_hh_l1_reverse(20,)", "weight_hr_l1_reverse(2, 5)",
        ];
        Assert.Equal(want, got);
        var gru = new GRU(4, 6, bias: false);
        Assert.Equal(["weight_ih_l0(18, 4)", "weight_hh_l0(18, 6)"], gru.NamedParameters().Select(p => $"{p.Name}{p.Parameter.Shape}").ToArray());
    }

    [Fact]
    public void Init_IsUniformWithinOneOverSqrtHidden()
    {
        var m = new GRU(10, 16, generator: new Generator(1));
        var k = 1 / Math.Sqrt(16);
        var all = m.Parameters().SelectMany(p => p.ToDoubleArray()).ToArray();
        Assert.All(all, v => Assert.InRange(v, -k, k));
        // A uniform sample over [-k, k] fills the range: the extremes come close to both ends.
        Assert.True(all.Min() < -0.9 * k && all.Max() > 0.9 * k);
    }

    public static TheoryData<string, bool, int, bool> GradCheckConfigs => new()
    {
        { "RNN_TANH", false, 0, false },
        { "RNN_RELU", true, 0, false },
        { "LSTM", false, 0, false },
        { "LSTM", true, 2, false },
        { "GRU", true, 0, false },
        { "RNN_TANH", true, 0, true },
        { "LSTM", true, 2, true },
        { "GRU", false, 0, true },
    };

    [Theory]
    [MemberData(nameof(GradCheckConfigs))]
    public void FastPath_GradientsMatchFiniteDifferences(string mode, bool bidirectional, int proj, bool packed)
    {
        var c = new Config(mode, 3, 3, 2, true, false, bidirectional, proj);
        var m = c.Build(DType.Float64, 11);
        var g = new Generator(5);
        int steps = 4, batch = 3;
        var ld = c.Layers * c.Dirs;
        var x = Tensor.Randn([steps, batch, c.Input], DType.Float64, g, requiresGrad: true);
        var h0 = Tensor.Randn([ld, batch, c.Out], DType.Float64, g, requiresGrad: true);
        var c0 = mode == "LSTM" ? Tensor.Randn([ld, batch, c.Hidden], DType.Float64, g, requiresGrad: true) : null;
        int[] lengths = [2, 4, 3];
        Tensor F(Tensor[] a)
        {
            var h = a[1];
            var cc = c0 is null ? null : a[2];
            Tensor o, hn;
            Tensor? cn;
            if (packed)
            {
                var p = RnnUtils.PackPaddedSequence(a[0], lengths, false, enforceSorted: false);
                PackedSequence po;
                (po, hn, cn) = Run(m, p, h, cc);
                o = po.Data;
            }
            else
            {
                (o, hn, cn) = Run(m, a[0], h, cc);
            }
            var parts = new List<Tensor> { o.Reshape(-1), hn.Reshape(-1) };
            if (cn is not null)
            {
                parts.Add(cn.Reshape(-1));
            }
            return Tensor.Cat(parts, 0);
        }
        var inputs = new List<Tensor> { x, h0 };
        if (c0 is not null)
        {
            inputs.Add(c0);
        }
        inputs.AddRange(m.Parameters());
        var r = GradCheck.Run(F, [.. inputs]);
        Assert.True(r.Passed, r.Message);
    }

    [Fact]
    public void FastAndReference_AgreeOnOutputsAndAllGradients()
    {
        var rng = new Random(3);
        for (var trial = 0; trial < 40; trial++)
        {
            var c = RandomConfig(rng);
            int steps = rng.Next(1, 6), batch = rng.Next(1, 5);
            var packed = rng.Next(2) == 0;
            var lengths = Enumerable.Range(0, batch).Select(_ => rng.Next(1, steps + 1)).ToArray();
            lengths[rng.Next(batch)] = steps;
            var withH0 = rng.Next(2) == 0;
            var results = new List<double[]>[2];
            for (var pass = 0; pass < 2; pass++)
            {
                var m = c.Build(DType.Float64, trial);
                m.UseReferenceImplementation = pass == 1;
                var g = new Generator(100 + trial);
                var shape = c.BatchFirst ? new[] { batch, steps, c.Input } : [steps, batch, c.Input];
                var x = Tensor.Randn(shape, DType.Float64, g, requiresGrad: true);
                var ld = c.Layers * c.Dirs;
                var h0 = withH0 ? Tensor.Randn([ld, batch, c.Out], DType.Float64, g, requiresGrad: true) : null;
                var c0 = withH0 && c.Mode == "LSTM" ? Tensor.Randn([ld, batch, c.Hidden], DType.Float64, g, requiresGrad: true) : null;
                Tensor o, hn;
                Tensor? cn;
                if (packed)
                {
                    PackedSequence po;
                    (po, hn, cn) = Run(m, RnnUtils.PackPaddedSequence(x, lengths, c.BatchFirst, enforceSorted: false), h0, c0);
                    o = po.Data;
                }
                else
                {
                    (o, hn, cn) = Run(m, x, h0, c0);
                }
                var w = new Generator(9);
                var loss = o.Mul(Tensor.RandnLike(o, w)).Sum().Add(hn.Mul(Tensor.RandnLike(hn, w)).Sum());
                if (cn is not null)
                {
                    loss = loss.Add(cn.Mul(Tensor.RandnLike(cn, w)).Sum());
                }
                loss.Backward();
                var list = new List<double[]> { o.ToDoubleArray(), hn.ToDoubleArray(), x.Grad!.ToDoubleArray() };
                if (cn is not null)
                {
                    list.Add(cn.ToDoubleArray());
                }
                if (h0 is not null)
                {
                    list.Add(h0.Grad!.ToDoubleArray());
                }
                if (c0 is not null)
                {
                    list.Add(c0.Grad!.ToDoubleArray());
                }
                list.AddRange(m.Parameters().Select(p => p.Grad!.ToDoubleArray()));
                results[pass] = list;
            }
            Assert.Equal(results[0].Count, results[1].Count);
            for (var k = 0; k < results[0].Count; k++)
            {
                Assert.Equal(results[1][k].Length, results[0][k].Length);
                for (var i = 0; i < results[0][k].Length; i++)
                {
                    var (a, b) = (results[0][k][i], results[1][k][i]);
                    Assert.True(Math.Abs(a - b) <= 1e-11 + 1e-9 * Math.Abs(b), $"trial {trial} {c} packed={packed} tensor {k} element {i}: fast {a}, reference {b}");
                }
            }
        }
    }

    [Fact]
    public void Packed_HnIsEachSequencesLastStep_AndMatchesRunningEachSequenceAlone()
    {
        var m = new LSTM(2, 3, numLayers: 2, bidirectional: true, dtype: DType.Float64, generator: new Generator(4));
        int[] lengths = [2, 5, 3];
        var x = Tensor.Randn([5, 3, 2], DType.Float64, new Generator(8));
        var (_, hn, cn) = m.Forward(RnnUtils.PackPaddedSequence(x, lengths, false, enforceSorted: false));
        for (var b = 0; b < 3; b++)
        {
            var seq = x.Narrow(0, 0, lengths[b]).Select(1, b);
            var (_, hb, cb) = m.Forward(seq);
            Assert.True(hb.AllClose(hn.Select(1, b), 1e-12, 1e-12), $"h_n of sequence {b}");
            Assert.True(cb.AllClose(cn.Select(1, b), 1e-12, 1e-12), $"c_n of sequence {b}");
        }
    }

    [Fact]
    public void BatchFirst_OnlyChangesTheInputAndOutputLayout()
    {
        var a = new GRU(3, 4, numLayers: 2, dtype: DType.Float64, generator: new Generator(2));
        var b = new GRU(3, 4, numLayers: 2, batchFirst: true, dtype: DType.Float64, generator: new Generator(2));
        var x = Tensor.Randn([5, 2, 3], DType.Float64, new Generator(1));
        var h0 = Tensor.Randn([2, 2, 4], DType.Float64, new Generator(3));
        var (oa, ha) = a.Forward(x, h0);
        var (ob, hb) = b.Forward(x.Transpose(0, 1), h0);
        Assert.True(oa.Transpose(0, 1).AllClose(ob, 0, 0));
        Assert.True(ha.AllClose(hb, 0, 0));
    }

    [Fact]
    public void Dropout_AppliesBetweenLayersInTrainingOnly()
    {
        var m = new RNN(3, 8, numLayers: 2, dropout: 0.5, dtype: DType.Float64, generator: new Generator(1));
        var x = Tensor.Randn([4, 2, 3], DType.Float64, new Generator(2));
        m.Eval();
        var (e1, _) = m.Forward(x);
        var (e2, _) = m.Forward(x);
        Assert.True(e1.AllClose(e2, 0, 0));
        m.Train();
        var (t1, _) = m.Forward(x);
        Assert.False(t1.AllClose(e1, 1e-6, 1e-6));
        // Dropout only sits between layers: a one-layer RNN is unaffected even in training mode.
        var single = new RNN(3, 8, dropout: 0.5, dtype: DType.Float64, generator: new Generator(1));
        var (s1, _) = single.Forward(x);
        var (s2, _) = single.Forward(x);
        Assert.True(s1.AllClose(s2, 0, 0));
    }
}
