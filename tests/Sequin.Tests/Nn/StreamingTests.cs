using Sequin.Autograd;
using Sequin.Kernels;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

/// <summary>Step-by-step streaming must reproduce Forward on the whole sequence, state included, without allocating.</summary>
[Collection(InferencePathTests.KernelSettings)] // sets Parallelism.MaxThreads, which every kernel call reads
public class StreamingTests
{
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f, $"{what}[{i}]: step {actual[i]} vs forward {expected[i]}");
        }
    }

    /// <summary>Runs the steps and returns (outputs (T, B, out) flattened, final H, final C).</summary>
    private static (float[] Y, float[] H, float[]? C) RunSteps(RNNBase m, Tensor x, bool packWeights = false)
    {
        int steps = x.Size(0), batch = x.Size(1), inp = x.Size(2);
        var hout = m.ProjSize > 0 ? m.ProjSize : m.HiddenSize;
        var state = m.CreateState(batch, packWeights);
        Assert.Equal(packWeights, state.WeightsPacked);
        var xs = x.ToArray<float>();
        var y = new float[steps * batch * hout];
        for (var t = 0; t < steps; t++)
        {
            m.Step(xs.AsSpan(t * batch * inp, batch * inp), state, y.AsSpan(t * batch * hout, batch * hout));
        }
        return (y, state.H.ToArray<float>(), state.C?.ToArray<float>());
    }

    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(2, 0, false)]
    [InlineData(2, 3, false)]
    [InlineData(1, 0, true)]
    [InlineData(2, 3, true)]
    public void Lstm_StepsEqualForward(int layers, int proj, bool packWeights)
    {
        var m = new LSTM(5, 7, numLayers: layers, projSize: proj, generator: new Generator(1));
        var x = Tensor.Randn([6, 3, 5], DType.Float32, new Generator(2));
        using var _ = new NoGrad();
        var (y, hn, cn) = m.Forward(x);
        var (ys, hs, cs) = RunSteps(m, x, packWeights);
        AssertClose(y.ToArray<float>(), ys, "output");
        AssertClose(hn.ToArray<float>(), hs, "h_n");
        AssertClose(cn.ToArray<float>(), cs!, "c_n");
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    public void Gru_StepsEqualForward(int layers, bool packWeights)
    {
        var m = new GRU(4, 9, numLayers: layers, generator: new Generator(3));
        var x = Tensor.Randn([5, 2, 4], DType.Float32, new Generator(4));
        using var _ = new NoGrad();
        var (y, hn) = m.Forward(x);
        var (ys, hs, _) = RunSteps(m, x, packWeights);
        AssertClose(y.ToArray<float>(), ys, "output");
        AssertClose(hn.ToArray<float>(), hs, "h_n");
    }

    [Theory]
    [InlineData("tanh", true, false)]
    [InlineData("relu", false, false)]
    [InlineData("tanh", false, true)]
    [InlineData("relu", true, true)]
    public void Rnn_StepsEqualForward(string nonlinearity, bool bias, bool packWeights)
    {
        var m = new RNN(3, 6, numLayers: 2, nonlinearity: nonlinearity, bias: bias, generator: new Generator(5));
        var x = Tensor.Randn([7, 4, 3], DType.Float32, new Generator(6));
        using var _ = new NoGrad();
        var (y, hn) = m.Forward(x);
        var (ys, hs, _) = RunSteps(m, x, packWeights);
        AssertClose(y.ToArray<float>(), ys, "output");
        AssertClose(hn.ToArray<float>(), hs, "h_n");
    }

    [Fact]
    public void Double_TensorStep_EqualsForward_AndResetRestarts()
    {
        var m = new LSTM(3, 4, dtype: DType.Float64, generator: new Generator(7));
        var x = Tensor.Randn([4, 2, 3], DType.Float64, new Generator(8));
        using var _ = new NoGrad();
        var (y, _, _) = m.Forward(x);
        var state = m.CreateState(2);
        for (var round = 0; round < 2; round++)
        {
            state.Reset();
            for (var t = 0; t < 4; t++)
            {
                var yt = m.Step(x[t], state);
                Assert.True(yt.AllClose(y[t], rtol: 0, atol: 1e-12), $"step {t} differs from Forward");
            }
        }
    }

    /// <summary>
    /// float64, sizes that leave partial panels (hidden 37 with projection 5, input 11), batch 1 and 3: a packed state's
    /// steps equal a live state's to rounding, including the panel order that alternates between steps.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void PackedState_EqualsLiveState_Float64(int batch)
    {
        var m = new LSTM(11, 37, numLayers: 2, projSize: 5, dtype: DType.Float64, generator: new Generator(10));
        var x = Tensor.Randn([9, batch, 11], DType.Float64, new Generator(11));
        using var _ = new NoGrad();
        var live = m.CreateState(batch);
        var packed = m.CreateState(batch, packWeights: true);
        for (var t = 0; t < 9; t++)
        {
            var a = m.Step(x[t], live);
            var b = m.Step(x[t], packed);
            Assert.True(b.AllClose(a, rtol: 0, atol: 1e-13), $"step {t}: packed {b} vs live {a}");
        }
        Assert.True(packed.C!.AllClose(live.C!, rtol: 0, atol: 1e-13));
    }

    /// <summary>A packed state keeps the weights it packed until <see cref="RecurrentState.RepackWeights"/>; a live one follows the module.</summary>
    [Fact]
    public void PackedState_KeepsItsWeights_UntilRepacked()
    {
        var m = new GRU(4, 6, dtype: DType.Float64, generator: new Generator(12));
        var before = new GRU(4, 6, dtype: DType.Float64);
        before.LoadStateDict(m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone()));
        var x = Tensor.Randn([2, 4], DType.Float64, new Generator(13));
        using var _ = new NoGrad();
        var packed = m.CreateState(2, packWeights: true);
        var live = m.CreateState(2);
        m.StateDict()["weight_ih_l0"].Mul_(2.0); // the weights change after the states were made (the dict shares storage; W_ih, since h starts at 0)

        var stale = m.Step(x, packed);
        Assert.True(stale.AllClose(before.Step(x, before.CreateState(2)), rtol: 0, atol: 1e-13), "a packed state steps with the weights it packed");
        packed.Reset();
        packed.RepackWeights();
        var fresh = m.Step(x, packed);
        Assert.True(fresh.AllClose(m.Step(x, live), rtol: 0, atol: 1e-13), "after RepackWeights it uses the current weights");
        Assert.False(fresh.AllClose(stale, rtol: 0, atol: 1e-6), "the weight change must change the step (else this test proves nothing)");
        live.RepackWeights(); // a live state has nothing to repack
        Assert.False(live.WeightsPacked);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Steps_DoNotAllocate_AfterWarmUp(bool packWeights)
    {
        var saved = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = 1;
            var m = new LSTM(16, 32, numLayers: 2, generator: new Generator(9));
            var state = m.CreateState(2, packWeights);
            var x = new float[2 * 16];
            var y = new float[2 * 32];
            m.Step(x, state, y);
            // A window of 100 steps must allocate nothing. Up to five windows are tried: the runtime itself may allocate
            // once on this thread while the step's methods move up a tier (seen once: 7,200 bytes in one window, with two
            // test processes on two cores, which delays tiering into the loop). An allocation made by the step
            // itself shows in every window and fails the test.
            long allocated = -1;
            for (var window = 0; window < 5 && allocated != 0; window++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < 100; i++)
                {
                    m.Step(x, state, y);
                }
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            }
            Assert.Equal(0, allocated);
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    [Fact]
    public void Bidirectional_CannotStream_AndWrongShapesTeach()
    {
        var bi = new GRU(3, 4, bidirectional: true);
        var ex = Assert.Throws<ArgumentException>(() => bi.CreateState(1));
        Assert.Contains("bidirectional=true", ex.Message, StringComparison.Ordinal);
        var m = new GRU(3, 4);
        var state = m.CreateState(2);
        var ex2 = Assert.Throws<ArgumentException>(() => m.Step(new float[5], state, new float[8]));
        Assert.Contains("(2, 3)", ex2.Message, StringComparison.Ordinal);
        var ex3 = Assert.Throws<ArgumentException>(() => new GRU(3, 4).Step(new float[6], state, new float[8]));
        Assert.Contains("another module", ex3.Message, StringComparison.Ordinal);
    }
}
