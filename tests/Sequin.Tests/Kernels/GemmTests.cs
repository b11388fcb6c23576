using System.Numerics;
using Sequin.Kernels;
using Sequin.Tests.Nn;

namespace Sequin.Tests.Kernels;

/// <summary>
/// The fast GEMM against <see cref="Gemm.Reference{T}"/>-style exact sums, on every instruction-set path
/// this machine has (AVX-512, AVX2 and scalar are forced with <see cref="Simd.Limit"/>).
/// </summary>
[Collection(InferencePathTests.KernelSettings)] // sets Parallelism.MaxThreads, which every kernel call reads
public class GemmTests
{
    public static TheoryData<int, bool, bool> PathsAndTransposes()
    {
        var data = new TheoryData<int, bool, bool>();
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Avx2, SimdLevel.Avx512 })
        {
            foreach (var ta in new[] { false, true })
            {
                foreach (var tb in new[] { false, true })
                {
                    data.Add((int)level, ta, tb);
                }
            }
        }
        return data;
    }

    private static readonly int[] OddSizes = [1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 32, 33, 65, 129];

    [Theory]
    [MemberData(nameof(PathsAndTransposes))]
    public void Sgemm_MatchesExactSums_OnOddShapes(int level, bool transA, bool transB)
    {
        var rng = new Random(11 + level * 4 + (transA ? 2 : 0) + (transB ? 1 : 0));
        using var _ = Simd.Limit((SimdLevel)level);
        for (var trial = 0; trial < 40; trial++)
        {
            var m = OddSizes[rng.Next(OddSizes.Length)];
            var n = OddSizes[rng.Next(OddSizes.Length)];
            var k = OddSizes[rng.Next(OddSizes.Length)];
            CheckCase<float>(rng, transA, transB, m, n, k, Pick(rng), Pick(rng), rng.Next(3), Gemm.Sgemm);
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndTransposes))]
    public void Dgemm_MatchesExactSums_OnOddShapes(int level, bool transA, bool transB)
    {
        var rng = new Random(101 + level * 4 + (transA ? 2 : 0) + (transB ? 1 : 0));
        using var _ = Simd.Limit((SimdLevel)level);
        for (var trial = 0; trial < 40; trial++)
        {
            var m = OddSizes[rng.Next(OddSizes.Length)];
            var n = OddSizes[rng.Next(OddSizes.Length)];
            var k = OddSizes[rng.Next(OddSizes.Length)];
            CheckCase<double>(rng, transA, transB, m, n, k, Pick(rng), Pick(rng), rng.Next(3), Gemm.Dgemm);
        }
    }

    /// <summary>Shapes that cross the cache blocks (k &gt; KC, m &gt; MC, n &gt; NC) and the threading threshold.</summary>
    [Theory]
    [MemberData(nameof(PathsAndTransposes))]
    public void Sgemm_MatchesExactSums_AcrossBlocksAndThreads(int level, bool transA, bool transB)
    {
        var rng = new Random(7 + level);
        using var _ = Simd.Limit((SimdLevel)level);
        (int M, int N, int K)[] shapes = [(200, 67, 300), (3, 2100, 9), (257, 130, 40), (6, 700, 520), (64, 1030, 33), (385, 3, 257)];
        foreach (var (m, n, k) in shapes)
        {
            CheckCase<float>(rng, transA, transB, m, n, k, 1f, 0.5f, 1, Gemm.Sgemm);
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndTransposes))]
    public void Dgemm_MatchesExactSums_AcrossBlocksAndThreads(int level, bool transA, bool transB)
    {
        var rng = new Random(17 + level);
        using var _ = Simd.Limit((SimdLevel)level);
        (int M, int N, int K)[] shapes = [(200, 67, 300), (5, 2100, 9), (129, 130, 70), (8, 500, 300)];
        foreach (var (m, n, k) in shapes)
        {
            CheckCase<double>(rng, transA, transB, m, n, k, -1.5f, 1f, 2, Gemm.Dgemm);
        }
    }

    /// <summary>One row times a transposed B (the streaming step's matrix-vector product, eight columns per reduction).</summary>
    [Theory]
    [InlineData((int)SimdLevel.Scalar)]
    [InlineData((int)SimdLevel.Avx2)]
    [InlineData((int)SimdLevel.Avx512)]
    public void SingleRow_TransposedB_MatchesExactSums(int level)
    {
        var rng = new Random(31 + level);
        using var _ = Simd.Limit((SimdLevel)level);
        foreach (var n in new[] { 1, 7, 8, 9, 17, 64, 2050 })
        {
            foreach (var k in new[] { 1, 8, 16, 17, 33, 512 })
            {
                CheckCase<float>(rng, false, true, 1, n, k, Pick(rng), Pick(rng), rng.Next(3), Gemm.Sgemm);
            }
        }
    }

    public static TheoryData<int, bool> PathsAndTransB()
    {
        var data = new TheoryData<int, bool>();
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Avx2, SimdLevel.Avx512 })
        {
            data.Add((int)level, false);
            data.Add((int)level, true);
        }
        return data;
    }

    /// <summary>B packed once (<see cref="PackedMatrix{T}"/>) and reused: odd shapes, block-crossing shapes and threaded splits.</summary>
    [Theory]
    [MemberData(nameof(PathsAndTransB))]
    public void Prepacked_MatchesExactSums(int level, bool transB)
    {
        var rng = new Random(23 + level + (transB ? 7 : 0));
        using var _ = Simd.Limit((SimdLevel)level);
        var shapes = new List<(int M, int N, int K)> { (200, 67, 300), (3, 2100, 9), (64, 1030, 33), (9, 2050, 260), (385, 3, 257), (4, 67, 300), (4, 2100, 9), (2, 130, 33), (1, 70, 300) };
        for (var trial = 0; trial < 30; trial++)
        {
            shapes.Add((OddSizes[rng.Next(OddSizes.Length)], OddSizes[rng.Next(OddSizes.Length)], OddSizes[rng.Next(OddSizes.Length)]));
        }
        foreach (var (m, n, k) in shapes)
        {
            CheckCase<float>(rng, false, transB, m, n, k, Pick(rng), Pick(rng), rng.Next(3), PrepackedGemm<float>);
            CheckCase<double>(rng, false, transB, m, n, k, Pick(rng), Pick(rng), rng.Next(3), PrepackedGemm<double>);
        }
    }

    /// <summary>
    /// From four threads a large product splits C into a grid of blocks; every thread count gives exactly the
    /// single-threaded numbers (each element is the same micro-kernel sum over the same depth blocks), for all four
    /// transposition cases, odd sizes, beta ≠ 0, and the small-M path.
    /// </summary>
    [Theory]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(9)]
    public void GridSplit_EqualsSingleThreadExactly(int threads)
    {
        var rng = new Random(40 + threads);
        var saved = Parallelism.MaxThreads;
        try
        {
            foreach (var (m, n, k) in new[] { (1024, 1024, 64), (333, 517, 129), (3, 4100, 300), (2050, 40, 70), (130, 1030, 200) })
            {
                foreach (var (transA, transB) in new[] { (false, false), (false, true), (true, false), (true, true) })
                {
                    var a = Random<float>(rng, m * k);
                    var b = Random<float>(rng, k * n);
                    var c0 = Random<float>(rng, m * n);
                    var (lda, ldb) = (transA ? m : k, transB ? k : n);
                    var one = (float[])c0.Clone();
                    var many = (float[])c0.Clone();
                    Parallelism.MaxThreads = 1;
                    Gemm.Sgemm(transA, transB, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, one, n);
                    Parallelism.MaxThreads = threads;
                    Gemm.Sgemm(transA, transB, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, many, n);
                    Assert.True(one.AsSpan().SequenceEqual(many), $"{m}×{n}×{k} transA={transA} transB={transB} on {threads} threads differs from one thread");
                }
            }
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    /// <summary>The grid packs least: 4 × 4 for a square product on 16 threads, mostly rows for a tall one, columns for a wide one; up to three threads the old one-dimensional rule.</summary>
    [Fact]
    public void Grid_PacksTheLeast_AndKeepsTheOldRuleUpToThreeThreads()
    {
        Assert.Equal((4, 4), GemmDriver<float>.Grid(16, 128, 32, 1024, 1024, 1024));
        // 6400 × 2048 × 256 packs 2·m·k + 8·k·n = 7.5 M elements as 8 × 2, against 10.0 M as 16 × 1 and 8.7 M as 4 × 4.
        Assert.Equal((8, 2), GemmDriver<float>.Grid(16, 800, 64, 6400, 2048, 256));
        Assert.Equal((1, 16), GemmDriver<float>.Grid(16, 8, 64, 64, 2048, 512));
        Assert.Equal((2, 1), GemmDriver<float>.Grid(2, 128, 32, 1024, 1024, 1024));
        Assert.Equal((1, 2), GemmDriver<float>.Grid(2, 8, 64, 64, 2048, 512));
        Assert.Equal((3, 1), GemmDriver<float>.Grid(3, 64, 32, 512, 1024, 64)); // old rule: row tiles ≥ column tiles
        var (gm, gn) = GemmDriver<float>.Grid(7, 100, 100, 800, 3200, 100);
        Assert.True(gm * gn <= 7 && gm * gn >= 6, $"7 threads used as {gm} × {gn}");
    }

    /// <summary>The same packed B multiplies several A's, and the threaded split equals the single-threaded result exactly.</summary>
    [Fact]
    public void Prepacked_ReusedAcrossProducts_AndThreadCountDoesNotChangeTheNumbers()
    {
        var rng = new Random(29);
        var (n, k) = (2048, 512);
        var w = Random<float>(rng, n * k);
        using var packed = PackedMatrix<float>.Pack(true, k, n, w, k);
        var saved = Parallelism.MaxThreads;
        try
        {
            foreach (var m in new[] { 1, 8, 64, 100 })
            {
                var a = Random<float>(rng, m * k);
                var c1 = new float[m * n];
                var c2 = new float[m * n];
                var want = new float[m * n];
                Parallelism.MaxThreads = 1;
                packed.Multiply(m, 1f, a, k, 0f, c1, n);
                Parallelism.MaxThreads = 2;
                packed.Multiply(m, 1f, a, k, 0f, c2, n);
                Gemm.Sgemm(false, true, m, n, k, 1f, a, k, w, k, 0f, want, n);
                Assert.Equal(c1, c2);
                var c3 = new float[m * n];
                packed.Multiply(m, 1f, a, k, 0f, c3, n, reverse: true);
                Assert.Equal(c1, c3);
                for (var i = 0; i < want.Length; i++)
                {
                    Assert.True(Math.Abs(c1[i] - want[i]) <= 1e-4f * (1 + Math.Abs(want[i])), $"m={m} element {i}: {c1[i]} vs {want[i]}");
                }
            }
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    private static void PrepackedGemm<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.False(transA);
        using var packed = PackedMatrix<T>.Pack(transB, k, n, b, ldb);
        packed.Multiply(m, alpha, a, lda, beta, c, ldc);
    }

    [Theory]
    [InlineData((int)SimdLevel.Scalar)]
    [InlineData((int)SimdLevel.Avx2)]
    [InlineData((int)SimdLevel.Avx512)]
    public void BetaZero_DoesNotReadC_NaNDoesNotPropagate(int level)
    {
        using var _ = Simd.Limit((SimdLevel)level);
        var rng = new Random(5);
        foreach (var (m, n, k) in new[] { (1, 5, 3), (4, 33, 17), (9, 40, 300), (70, 70, 70) })
        {
            foreach (var ta in new[] { false, true })
            {
                foreach (var tb in new[] { false, true })
                {
                    var a = Random<float>(rng, m * k);
                    var b = Random<float>(rng, k * n);
                    var c = Enumerable.Repeat(float.NaN, m * n).ToArray();
                    Gemm.Sgemm(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n);
                    Assert.All(c, v => Assert.False(float.IsNaN(v), $"NaN leaked from C for ({m}, {n}, {k}) transA={ta} transB={tb}"));
                }
            }
        }
    }

    [Fact]
    public void AlphaZero_ScalesCByBeta_AndKZero_ScalesCByBeta()
    {
        var c = new[] { 1.0, 2.0, 3.0, 4.0 };
        var a = new[] { double.NaN, double.NaN };
        Gemm.Dgemm(false, false, 2, 2, 1, 0.0, a, 1, a, 2, 3.0, c, 2);
        Assert.Equal([3.0, 6.0, 9.0, 12.0], c);
        Gemm.Dgemm(false, false, 2, 2, 0, 1.0, [], 1, [], 2, 0.0, c, 2);
        Assert.Equal([0.0, 0.0, 0.0, 0.0], c);
    }

    [Fact]
    public void SingleThread_GivesTheSameNumbersAsTheDefault()
    {
        var rng = new Random(3);
        var (m, n, k) = (150, 140, 120);
        var a = Random<float>(rng, m * k);
        var b = Random<float>(rng, k * n);
        var c1 = new float[m * n];
        var c2 = new float[m * n];
        Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c1, n);
        var saved = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = 1;
            Gemm.Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c2, n);
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
        Assert.Equal(c1, c2);
    }

    [Fact]
    public void ShortSpan_ThrowsWithTheNeededLength()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, false, 3, 4, 5, 1f, new float[14], 5, new float[20], 4, 0f, new float[12], 4));
        Assert.Contains("needs", ex.Message, StringComparison.Ordinal);
        Assert.Contains("15", ex.Message, StringComparison.Ordinal);
        var ex2 = Assert.Throws<ArgumentException>(() =>
            Gemm.Sgemm(false, true, 3, 4, 5, 1f, new float[15], 5, new float[20], 4, 0f, new float[12], 4));
        Assert.Contains("ldb", ex2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxThreads_RejectsZero()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = 0);

    private static float Pick(Random rng) => rng.Next(4) switch { 0 => 1f, 1 => 0f, 2 => -0.75f, _ => 2f };

    private delegate void GemmFn<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc);

    private static T[] Random<T>(Random rng, int count)
        where T : IFloatingPointIeee754<T>
    {
        var x = new T[count];
        for (var i = 0; i < count; i++)
        {
            x[i] = T.CreateTruncating((rng.NextDouble() * 2) - 1);
        }
        return x;
    }

    /// <summary>
    /// Runs one product with padded leading dimensions (pad 0..2 extra elements per row) and checks every
    /// element against an exact double-precision sum, within the rounding bound
    /// (k + 4) · eps · (|alpha| Σ|a||b| + |beta c|); the padding between rows must stay untouched.
    /// </summary>
    private static void CheckCase<T>(Random rng, bool transA, bool transB, int m, int n, int k,
        float alphaF, float betaF, int pad, GemmFn<T> gemm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var alpha = T.CreateTruncating(alphaF);
        var beta = T.CreateTruncating(betaF);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = Random<T>(rng, Math.Max(0, ((aRows - 1) * lda) + aCols));
        var b = Random<T>(rng, Math.Max(0, ((bRows - 1) * ldb) + bCols));
        var c = Random<T>(rng, ((m - 1) * ldc) + n + pad);
        var sentinel = T.CreateTruncating(12345.0);
        for (var i = 0; i < m; i++)
        {
            for (var j = n; j < ldc && (i * ldc) + j < c.Length; j++)
            {
                c[(i * ldc) + j] = sentinel;
            }
        }
        var c0 = (T[])c.Clone();
        gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        var eps = typeof(T) == typeof(float) ? 5.96e-8 : 1.11e-16;
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < ldc && (i * ldc) + j < c.Length; j++)
            {
                var got = double.CreateTruncating(c[(i * ldc) + j]);
                if (j >= n)
                {
                    Assert.True(got == 12345.0, $"padding C[{i}, {j}] was overwritten ({m}, {n}, {k}) transA={transA} transB={transB}");
                    continue;
                }
                double exact = 0, magnitude = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = double.CreateTruncating(transA ? a[(p * lda) + i] : a[(i * lda) + p]);
                    var bv = double.CreateTruncating(transB ? b[(j * ldb) + p] : b[(p * ldb) + j]);
                    exact += av * bv;
                    magnitude += Math.Abs(av * bv);
                }
                var cOld = double.CreateTruncating(c0[(i * ldc) + j]);
                var expected = (alphaF * exact) + (betaF == 0 ? 0 : betaF * cOld);
                var tol = ((k + 4) * eps * ((Math.Abs(alphaF) * magnitude) + Math.Abs(betaF * cOld))) + 1e-300;
                Assert.True(Math.Abs(got - expected) <= tol,
                    $"C[{i}, {j}] = {got}, expected {expected} (tolerance {tol:G3}) for m={m} n={n} k={k} transA={transA} transB={transB} alpha={alphaF} beta={betaF} pad={pad} path={Simd.Current}");
            }
        }
    }
}
