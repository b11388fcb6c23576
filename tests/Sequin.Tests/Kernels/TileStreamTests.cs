using System.Numerics;
using Sequin.Kernels;
using Sequin.Tests.Nn;

namespace Sequin.Tests.Kernels;

/// <summary>
/// The one-row product that advances a <see cref="TileStream{T}"/> beside it (<see cref="PackedMatrix{T}.MultiplyRowWithTiles"/>):
/// its row equals the plain one-row product to the last bit at every call, and the stream, run to the end over as many
/// calls as it takes, writes exactly the packed product's numbers into the rows and panels it covers and nothing
/// elsewhere; odd shapes, a depth over one packed block (two block stores per tile), with and without bias, float and
/// double. Without AVX-512 the stream is left as it was.
/// </summary>
[Collection(InferencePathTests.KernelSettings)]
public class TileStreamTests
{
    // (k, n) of the one-row product; (rows, k2, n2) of the stream's product.
    public static TheoryData<int, int, int, int, int, bool> Shapes() => new()
    {
        { 512, 1024, 64, 256, 1024, true },  // an LSTM 512 part on two threads, one 64-step chunk
        { 37, 50, 19, 5, 70, true },         // odd sizes: partial panels and rows past the last 8-row block
        { 100, 64, 24, 300, 40, false },     // depth over one packed block (KC = 256), no bias
        { 16, 32, 8, 3, 32, true },          // a short product: the stream needs many calls
        { 300, 96, 9, 1, 100, false },       // depth 1: a tile ends at every step it takes
        { 64, 40, 7, 33, 64, true },         // fewer than 8 rows: nothing to stream
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_RowMatchesThePlainProduct_StreamMatchesThePackedProduct(int k, int n, int rows, int k2, int n2, bool bias)
        => Check<float>(new Random(k + n + rows), k, n, rows, k2, n2, bias);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_RowMatchesThePlainProduct_StreamMatchesThePackedProduct(int k, int n, int rows, int k2, int n2, bool bias)
        => Check<double>(new Random(k * 3 + n + rows), k, n, rows, k2, n2, bias);

    [Fact]
    public void WithoutAvx512_TheRowIsStillRight_AndTheStreamDoesNotMove()
    {
        using var _ = Simd.Limit(SimdLevel.Avx2);
        var rng = new Random(3);
        Check<float>(rng, 64, 64, 16, 32, 64, true, expectStream: false);
    }

    private static unsafe void Check<T>(Random rng, int k, int n, int rows, int k2, int n2, bool bias, bool expectStream = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        expectStream &= Simd.Current == SimdLevel.Avx512;
        var w = Random<T>(rng, n * k);
        var w2 = Random<T>(rng, n2 * k2);
        var a2 = Random<T>(rng, rows * k2);
        var b2 = bias ? Random<T>(rng, n2) : [];
        using var packed = PackedMatrix<T>.Pack(true, k, n, w, k);
        using var packed2 = PackedMatrix<T>.Pack(true, k2, n2, w2, k2);
        var nr = packed2.PanelWidth;
        int rowBlocks = rows / 8, panels = n2 / nr;
        // The packed product over the covered rows and panels, bias first (as the recurrent layer adds it).
        var expected = new T[rows * n2];
        for (var i = 0; i < rows && bias; i++)
        {
            b2.CopyTo(expected.AsSpan(i * n2));
        }
        packed2.MultiplyOnThisThread(rows, T.One, a2, k2, bias ? T.One : T.Zero, expected, n2);
        var c2 = Enumerable.Repeat(T.NaN, rows * n2).ToArray();
        var acc = GC.AllocateArray<T>(256, pinned: true);
        var stream = new TileStream<T> { Lda = k2, K = k2, N = n2, Ldc = n2, RowBlocks = rowBlocks, Panels = panels };
        var calls = 0;
        do
        {
            var x = Random<T>(rng, k);
            var beta = calls % 3 == 2 ? T.One : T.Zero;
            var c = Random<T>(rng, n);
            var plain = (T[])c.Clone();
            packed.MultiplyOnThisThread(1, T.One, x, k, beta, plain, n, reverse: calls % 2 == 1);
            fixed (T* pa = a2, pc = c2, pb = b2, pacc = acc)
            {
                stream.A = pa;
                stream.C = pc;
                stream.Bias = bias ? pb : null;
                stream.Acc = pacc;
                packed.MultiplyRowWithTiles(T.One, x, beta, c, calls % 2 == 1, packed2, ref stream);
                stream.A = stream.C = stream.Bias = stream.Acc = null;
            }
            for (var j = 0; j < n; j++)
            {
                Assert.True(c[j] == plain[j], $"call {calls}: row element {j} is {c[j]}, the plain product gives {plain[j]}");
            }
            calls++;
        }
        while (expectStream && !stream.Done && calls < 100_000);
        if (!expectStream)
        {
            Assert.Equal(0, stream.Tile);
            Assert.Equal(0, stream.Depth);
            Assert.All(c2, v => Assert.True(T.IsNaN(v)));
            return;
        }
        Assert.True(stream.Done, $"the stream did not finish in {calls} calls");
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < n2; j++)
            {
                var (got, want) = (c2[(i * n2) + j], expected[(i * n2) + j]);
                if (i < rowBlocks * 8 && j < panels * nr)
                {
                    Assert.True(got == want, $"({i}, {j}): stream {got}, packed product {want} ({k}x{n}, {rows}x{k2}x{n2})");
                }
                else
                {
                    Assert.True(T.IsNaN(got), $"({i}, {j}) is outside the stream's tiles but was written: {got}");
                }
            }
        }
    }

    private static T[] Random<T>(Random rng, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
        => [.. Enumerable.Range(0, length).Select(_ => T.CreateChecked(rng.NextDouble() - 0.5))];
}
