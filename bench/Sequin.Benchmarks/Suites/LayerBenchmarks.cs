using BenchmarkDotNet.Attributes;
using Sequin.Autograd;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Benchmarks.Suites;

/// <summary>LSTM/GRU forward (inference, under NoGrad) and forward+backward at the comparison's large shape.</summary>
[MemoryDiagnoser]
public class LayerBenchmarks
{
    private LSTM lstm = null!;
    private GRU gru = null!;
    private Tensor x = null!;

    /// <summary>Sequence length.</summary>
    [Params(100)]
    public int T { get; set; }

    /// <summary>Batch size.</summary>
    [Params(1, 64)]
    public int B { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(1);
        lstm = new LSTM(256, 512, generator: g);
        gru = new GRU(256, 512, generator: g);
        x = Tensor.Randn([T, B, 256], DType.Float32, g);
    }

    [Benchmark]
    public Tensor LstmForward()
    {
        using var _ = new NoGrad();
        return lstm.Forward(x).Output;
    }

    [Benchmark]
    public Tensor GruForward()
    {
        using var _ = new NoGrad();
        return gru.Forward(x).Output;
    }

    [Benchmark]
    public void LstmForwardBackward()
    {
        lstm.ZeroGrad();
        lstm.Forward(x).Output.Sum().Backward();
    }
}
