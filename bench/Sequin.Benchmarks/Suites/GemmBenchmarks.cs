using BenchmarkDotNet.Attributes;
using Sequin.Kernels;

namespace Sequin.Benchmarks.Suites;

/// <summary>SGEMM shapes that the recurrent layers issue: square, input projection (T·B × I)·(I × 4H)ᵀ, and one step (B × H)·(H × 4H)ᵀ.</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] a = [];
    private float[] b = [];
    private float[] c = [];

    /// <summary>(m, n, k, transB) as "m×n×k[T]".</summary>
    [Params("1024x1024x1024", "6400x2048x256T", "64x2048x512T", "1x2048x512T")]
    public string Shape { get; set; } = "1024x1024x1024";

    private (int M, int N, int K, bool TransB) Parse()
    {
        var transB = Shape.EndsWith('T');
        var parts = Shape.TrimEnd('T').Split('x').Select(int.Parse).ToArray();
        return (parts[0], parts[1], parts[2], transB);
    }

    [GlobalSetup]
    public void Setup()
    {
        var (m, n, k, _) = Parse();
        var rng = new Random(1);
        a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble()).ToArray();
        b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble()).ToArray();
        c = new float[m * n];
    }

    [Benchmark]
    public void Sgemm()
    {
        var (m, n, k, transB) = Parse();
        Gemm.Sgemm(false, transB, m, n, k, 1f, a, k, b, transB ? k : n, 0f, c, n);
    }
}
