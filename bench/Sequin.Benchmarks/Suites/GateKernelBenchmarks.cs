using BenchmarkDotNet.Attributes;
using Sequin.Kernels;

namespace Sequin.Benchmarks.Suites;

/// <summary>The instruction set the gate kernels may use (a public mirror of the library's internal SIMD level).</summary>
public enum GateIsa
{
    /// <summary>The best the CPU has (AVX-512 where available).</summary>
    Best,

    /// <summary>At most AVX2 + FMA (256-bit).</summary>
    Avx2,

    /// <summary>The scalar loops.</summary>
    Scalar,
}

/// <summary>
/// One time step of each fused gate pass (<see cref="RecurrentKernels"/>), float, at the batch sizes and hidden sizes
/// the layers run, on each instruction-set path. The GEMMs around the kernels are not included (see
/// <see cref="GemmBenchmarks"/>). Inputs are fixed, outputs go to separate buffers so every call sees the same data;
/// LSTM backward restores its in/out <c>dc</c> row first (a copy of batch·hidden floats) so it does not decay into
/// subnormals over millions of calls.
/// </summary>
[MemoryDiagnoser]
public class GateKernelBenchmarks
{
    private float[] xg = [], hg = [], bhh = [], state = [], dh = [], dcInit = [];
    private float[] gates = [], c = [], h = [], hn = [], dc = [], dg = [], dg2 = [], dPrev = [];
    private float[] savedLstm = [], savedGru = [], savedC = [], savedHn = [], savedH = [], savedRnn = [];

    /// <summary>Active rows in the step.</summary>
    [Params(1, 8, 64)]
    public int Batch { get; set; } = 1;

    /// <summary>Hidden size.</summary>
    [Params(128, 512)]
    public int Hidden { get; set; } = 128;

    /// <summary>Instruction-set path.</summary>
    [Params(GateIsa.Best, GateIsa.Avx2, GateIsa.Scalar)]
    public GateIsa Isa { get; set; } = GateIsa.Best;

    private SimdLevel Level => Isa switch { GateIsa.Scalar => SimdLevel.Scalar, GateIsa.Avx2 => SimdLevel.Avx2, _ => SimdLevel.Avx512 };

    /// <summary>Random inputs and the saved activations the backward passes read.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        float[] Rand(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)(((rng.NextDouble() * 2) - 1) * scale)).ToArray();
        int n1 = Batch * Hidden, n4 = 4 * n1;
        xg = Rand(n4, 2);
        hg = Rand(n4, 2);
        bhh = Rand(4 * Hidden, 0.5);
        state = Rand(n1, 1);
        dh = Rand(n1, 1);
        dcInit = Rand(n1, 1);
        gates = new float[n4];
        c = new float[n1];
        h = new float[n1];
        hn = new float[n1];
        dc = new float[n1];
        dg = new float[n4];
        dg2 = new float[n4];
        dPrev = new float[n1];
        savedLstm = new float[n4];
        savedC = new float[n1];
        RecurrentKernels.LstmForward<float>(xg, hg, bhh, state, savedLstm, savedC, new float[n1], Batch, Hidden);
        savedGru = new float[3 * n1];
        savedHn = new float[n1];
        savedH = new float[n1];
        RecurrentKernels.GruForward<float>(xg.AsSpan(0, 3 * n1), hg.AsSpan(0, 3 * n1), bhh.AsSpan(0, 3 * Hidden), state, savedGru, savedHn, savedH, Batch, Hidden);
        savedRnn = new float[n1];
        RecurrentKernels.RnnForward<float>(false, xg.AsSpan(0, n1), hg.AsSpan(0, n1), bhh.AsSpan(0, Hidden), savedRnn, Batch, Hidden);
    }

    /// <summary>LSTM step forward: four gate activations, the cell and the output.</summary>
    [Benchmark]
    [BenchmarkCategory("LSTM")]
    public void LstmForward()
    {
        using var _ = Simd.Limit(Level);
        RecurrentKernels.LstmForward<float>(xg, hg, bhh, state, gates, c, h, Batch, Hidden);
    }

    /// <summary>LSTM step backward: gate pre-activation gradients and dc_{t−1}.</summary>
    [Benchmark]
    [BenchmarkCategory("LSTM")]
    public void LstmBackward()
    {
        using var _ = Simd.Limit(Level);
        dcInit.CopyTo(dc, 0);
        RecurrentKernels.LstmBackward<float>(dh, dc, savedLstm, savedC, state, dg, Batch, Hidden);
    }

    /// <summary>GRU step forward: r, z, n, the saved W_hn·h + b_hn and the new state.</summary>
    [Benchmark]
    [BenchmarkCategory("GRU")]
    public void GruForward()
    {
        var n3 = 3 * Batch * Hidden;
        using var _ = Simd.Limit(Level);
        RecurrentKernels.GruForward<float>(xg.AsSpan(0, n3), hg.AsSpan(0, n3), bhh.AsSpan(0, 3 * Hidden), state, gates, hn, h, Batch, Hidden);
    }

    /// <summary>GRU step backward: the input- and hidden-side gate gradients and the direct dh_{t−1}.</summary>
    [Benchmark]
    [BenchmarkCategory("GRU")]
    public void GruBackward()
    {
        using var _ = Simd.Limit(Level);
        RecurrentKernels.GruBackward<float>(dh, state, savedGru, savedHn, dg, dg2, dPrev, Batch, Hidden);
    }

    /// <summary>Elman RNN (tanh) step forward.</summary>
    [Benchmark]
    [BenchmarkCategory("RNN")]
    public void RnnTanhForward()
    {
        var n1 = Batch * Hidden;
        using var _ = Simd.Limit(Level);
        RecurrentKernels.RnnForward<float>(false, xg.AsSpan(0, n1), hg.AsSpan(0, n1), bhh.AsSpan(0, Hidden), h, Batch, Hidden);
    }

    /// <summary>Elman RNN (tanh) step backward.</summary>
    [Benchmark]
    [BenchmarkCategory("RNN")]
    public void RnnTanhBackward()
    {
        using var _ = Simd.Limit(Level);
        RecurrentKernels.RnnBackward<float>(false, dh, savedRnn, dPrev, Batch, Hidden);
    }
}
