using System.Runtime.CompilerServices;

namespace Sequin.Kernels;

internal static unsafe partial class GemmDriver<T>
{
    /// <summary>
    /// <see cref="PrepackedGemv{TS, TV}"/> (the same sums in the same order, so the same numbers) that also advances
    /// <paramref name="tiles"/>: after every 16 depth elements of the one-row product it adds one depth element to an
    /// 8 × two-vector tile of the second product, whose 16 accumulators stay in registers beside the product's 8. A
    /// tile's depth block is stored when it ends, as the packed micro-kernel stores it (bias, then the blocks' sums in
    /// order: the second product also gets the numbers <see cref="Prepacked{TS, TV}"/> gives), and the stream moves to
    /// the next tile until it is done. Needs 32 vector registers (AVX-512); with fewer the accumulators spill.
    /// </summary>
    internal static void PrepackedGemvWithTiles<TS, TV>(int j0, int j1, T alpha, T* x, T* pre, int k, int n, int kc, int nc, T beta,
        T* c, bool reverse, ref TileStream<T> tiles)
        where TS : ISimdOps<T, TV>
        where TV : struct
        => PrepackedGemvCore<TS, TV, TilesOn>(j0, j1, alpha, x, pre, k, n, kc, nc, beta, c, reverse, ref tiles);

    /// <summary>
    /// One row of A against pre-packed B (a matrix-vector product, m = 1): each panel is one contiguous stream that is
    /// read once, with the depth unrolled four times into independent accumulators so that the FMA latency is hidden
    /// and the loads, not the arithmetic, set the pace. No horizontal sums are needed, unlike dot products on rows of B.
    /// </summary>
    internal static void PrepackedGemv<TS, TV>(int j0, int j1, T alpha, T* x, T* pre, int k, int n, int kc, int nc, T beta, T* c, bool reverse)
        where TS : ISimdOps<T, TV>
        where TV : struct
        => PrepackedGemvCore<TS, TV, TilesOff>(j0, j1, alpha, x, pre, k, n, kc, nc, beta, c, reverse, ref Unsafe.NullRef<TileStream<T>>());

    /// <summary>
    /// The one-row product, with a tile stream beside it when <typeparamref name="TTiles"/> is <see cref="TilesOn"/>;
    /// with <see cref="TilesOff"/> the JIT drops every tile statement (a constant of the type argument) and
    /// <paramref name="tiles"/> is never read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PrepackedGemvCore<TS, TV, TTiles>(int j0, int j1, T alpha, T* x, T* pre, int k, int n, int kc, int nc, T beta,
        T* c, bool reverse, ref TileStream<T> tiles)
        where TS : ISimdOps<T, TV>
        where TV : struct
        where TTiles : struct, ITileSwitch
    {
        var lanes = TS.Count;
        var nr = 2 * lanes;
        var tail = stackalloc T[2 * 16];
        var va = TS.Broadcast(alpha);
        var vb = TS.Broadcast(beta);
        var readC = !T.IsZero(beta);
        // The tile stream, in locals for the loops (none without tiles: total 0 skips every tile statement).
        int total = 0, tile = 0, depth = 0, k2 = 0, n2 = 0, kc2 = 0, nc2 = 0, rowBlocks = 0;
        nint lda2 = 0, ldc2 = 0;
        T* a2 = null, b2 = null, c2 = null, bias = null, acc = null;
        if (TTiles.On)
        {
            (total, tile, depth, lda2, ldc2) = (tiles.Total, tiles.Tile, tiles.Depth, tiles.Lda, tiles.Ldc);
            (k2, n2, kc2, nc2, rowBlocks) = (tiles.K, tiles.N, tiles.Kc, tiles.Nc, tiles.RowBlocks);
            a2 = tiles.A;
            b2 = tiles.B;
            c2 = tiles.C;
            bias = tiles.Bias;
            acc = tiles.Acc;
        }
        nint l1 = lda2, l2 = 2 * lda2, l3 = 3 * lda2, l4 = 4 * lda2, l5 = 5 * lda2, l6 = 6 * lda2, l7 = 7 * lda2;
        // An empty stream (the plain product) has no partial sums to load or keep.
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero, c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero, c60 = TS.Zero, c61 = TS.Zero, c70 = TS.Zero, c71 = TS.Zero;
        if (TTiles.On && total > 0)
        {
            c00 = TS.Load(acc + (0 * lanes));
            c01 = TS.Load(acc + (1 * lanes));
            c10 = TS.Load(acc + (2 * lanes));
            c11 = TS.Load(acc + (3 * lanes));
            c20 = TS.Load(acc + (4 * lanes));
            c21 = TS.Load(acc + (5 * lanes));
            c30 = TS.Load(acc + (6 * lanes));
            c31 = TS.Load(acc + (7 * lanes));
            c40 = TS.Load(acc + (8 * lanes));
            c41 = TS.Load(acc + (9 * lanes));
            c50 = TS.Load(acc + (10 * lanes));
            c51 = TS.Load(acc + (11 * lanes));
            c60 = TS.Load(acc + (12 * lanes));
            c61 = TS.Load(acc + (13 * lanes));
            c70 = TS.Load(acc + (14 * lanes));
            c71 = TS.Load(acc + (15 * lanes));
        }
        T* tb = null, ta = null;
        var blockEnd = 0;
        if (TTiles.On && tile < total)
        {
            Locate(tile, depth, rowBlocks, nr, k2, n2, kc2, nc2, lda2, a2, b2, out tb, out ta, out blockEnd);
        }
        for (var jc = j0 / nc * nc; jc < j1; jc += nc)
        {
            var ncur = Math.Min(nc, n - jc);
            var ncurPadded = RoundUp(ncur, nr);
            var from = Math.Max(j0 - jc, 0);
            var to = Math.Min(j1 - jc, ncur);
            var panels = (to - from + nr - 1) / nr;
            for (var q = 0; q < panels; q++)
            {
                var jr = from + ((reverse ? panels - 1 - q : q) * nr);
                TV a0 = TS.Zero, a1 = TS.Zero, b0 = TS.Zero, b1 = TS.Zero, d0 = TS.Zero, d1 = TS.Zero, e0 = TS.Zero, e1 = TS.Zero;
                for (var pc = 0; pc < k; pc += kc)
                {
                    var kcur = Math.Min(kc, k - pc);
                    var pb = pre + ((nint)jc * k) + ((nint)pc * ncurPadded) + ((nint)jr * kcur);
                    var xp = x + pc;
                    var p = 0;
                    TV s;
                    while (TTiles.On && tile < total && p + 16 <= kcur)
                    {
                        var groups = Math.Min((kcur - p) / 16, blockEnd - depth);
                        var xq = xp + p;
                        for (var gi = 0; gi < groups; gi++, xq += 16, pb += 16 * nr, tb += nr, ta++)
                        {
                            s = TS.Broadcast(xq[0]);
                            a0 = TS.Fma(s, TS.Load(pb), a0);
                            a1 = TS.Fma(s, TS.Load(pb + lanes), a1);
                            s = TS.Broadcast(xq[1]);
                            b0 = TS.Fma(s, TS.Load(pb + (1 * nr)), b0);
                            b1 = TS.Fma(s, TS.Load(pb + (1 * nr) + lanes), b1);
                            s = TS.Broadcast(xq[2]);
                            d0 = TS.Fma(s, TS.Load(pb + (2 * nr)), d0);
                            d1 = TS.Fma(s, TS.Load(pb + (2 * nr) + lanes), d1);
                            s = TS.Broadcast(xq[3]);
                            e0 = TS.Fma(s, TS.Load(pb + (3 * nr)), e0);
                            e1 = TS.Fma(s, TS.Load(pb + (3 * nr) + lanes), e1);
                            var t0 = TS.Load(tb);
                            var t1 = TS.Load(tb + lanes);
                            s = TS.Broadcast(ta[0]);
                            c00 = TS.Fma(s, t0, c00);
                            c01 = TS.Fma(s, t1, c01);
                            s = TS.Broadcast(ta[l1]);
                            c10 = TS.Fma(s, t0, c10);
                            c11 = TS.Fma(s, t1, c11);
                            s = TS.Broadcast(xq[4]);
                            a0 = TS.Fma(s, TS.Load(pb + (4 * nr)), a0);
                            a1 = TS.Fma(s, TS.Load(pb + (4 * nr) + lanes), a1);
                            s = TS.Broadcast(xq[5]);
                            b0 = TS.Fma(s, TS.Load(pb + (5 * nr)), b0);
                            b1 = TS.Fma(s, TS.Load(pb + (5 * nr) + lanes), b1);
                            s = TS.Broadcast(xq[6]);
                            d0 = TS.Fma(s, TS.Load(pb + (6 * nr)), d0);
                            d1 = TS.Fma(s, TS.Load(pb + (6 * nr) + lanes), d1);
                            s = TS.Broadcast(xq[7]);
                            e0 = TS.Fma(s, TS.Load(pb + (7 * nr)), e0);
                            e1 = TS.Fma(s, TS.Load(pb + (7 * nr) + lanes), e1);
                            s = TS.Broadcast(ta[l2]);
                            c20 = TS.Fma(s, t0, c20);
                            c21 = TS.Fma(s, t1, c21);
                            s = TS.Broadcast(ta[l3]);
                            c30 = TS.Fma(s, t0, c30);
                            c31 = TS.Fma(s, t1, c31);
                            s = TS.Broadcast(xq[8]);
                            a0 = TS.Fma(s, TS.Load(pb + (8 * nr)), a0);
                            a1 = TS.Fma(s, TS.Load(pb + (8 * nr) + lanes), a1);
                            s = TS.Broadcast(xq[9]);
                            b0 = TS.Fma(s, TS.Load(pb + (9 * nr)), b0);
                            b1 = TS.Fma(s, TS.Load(pb + (9 * nr) + lanes), b1);
                            s = TS.Broadcast(xq[10]);
                            d0 = TS.Fma(s, TS.Load(pb + (10 * nr)), d0);
                            d1 = TS.Fma(s, TS.Load(pb + (10 * nr) + lanes), d1);
                            s = TS.Broadcast(xq[11]);
                            e0 = TS.Fma(s, TS.Load(pb + (11 * nr)), e0);
                            e1 = TS.Fma(s, TS.Load(pb + (11 * nr) + lanes), e1);
                            s = TS.Broadcast(ta[l4]);
                            c40 = TS.Fma(s, t0, c40);
                            c41 = TS.Fma(s, t1, c41);
                            s = TS.Broadcast(ta[l5]);
                            c50 = TS.Fma(s, t0, c50);
                            c51 = TS.Fma(s, t1, c51);
                            s = TS.Broadcast(xq[12]);
                            a0 = TS.Fma(s, TS.Load(pb + (12 * nr)), a0);
                            a1 = TS.Fma(s, TS.Load(pb + (12 * nr) + lanes), a1);
                            s = TS.Broadcast(xq[13]);
                            b0 = TS.Fma(s, TS.Load(pb + (13 * nr)), b0);
                            b1 = TS.Fma(s, TS.Load(pb + (13 * nr) + lanes), b1);
                            s = TS.Broadcast(xq[14]);
                            d0 = TS.Fma(s, TS.Load(pb + (14 * nr)), d0);
                            d1 = TS.Fma(s, TS.Load(pb + (14 * nr) + lanes), d1);
                            s = TS.Broadcast(xq[15]);
                            e0 = TS.Fma(s, TS.Load(pb + (15 * nr)), e0);
                            e1 = TS.Fma(s, TS.Load(pb + (15 * nr) + lanes), e1);
                            s = TS.Broadcast(ta[l6]);
                            c60 = TS.Fma(s, t0, c60);
                            c61 = TS.Fma(s, t1, c61);
                            s = TS.Broadcast(ta[l7]);
                            c70 = TS.Fma(s, t0, c70);
                            c71 = TS.Fma(s, t1, c71);
                        }
                        depth += groups;
                        p += 16 * groups;
                        if (depth == blockEnd)
                        {
                            // The tile's depth block ends: store it (the first block adds the bias, later ones C).
                            var panel = tile / rowBlocks;
                            var dst = c2 + ((nint)(tile - (panel * rowBlocks)) * 8 * ldc2) + ((nint)panel * nr);
                            var first = blockEnd <= kc2;
                            var bv0 = bias is null ? TS.Zero : TS.Load(bias + (panel * nr));
                            var bv1 = bias is null ? TS.Zero : TS.Load(bias + (panel * nr) + lanes);
                            StoreTileRow<TS, TV>(dst + (0 * ldc2), c00, c01, bv0, bv1, first);
                            StoreTileRow<TS, TV>(dst + (1 * ldc2), c10, c11, bv0, bv1, first);
                            StoreTileRow<TS, TV>(dst + (2 * ldc2), c20, c21, bv0, bv1, first);
                            StoreTileRow<TS, TV>(dst + (3 * ldc2), c30, c31, bv0, bv1, first);
                            StoreTileRow<TS, TV>(dst + (4 * ldc2), c40, c41, bv0, bv1, first);
                            StoreTileRow<TS, TV>(dst + (5 * ldc2), c50, c51, bv0, bv1, first);
                            StoreTileRow<TS, TV>(dst + (6 * ldc2), c60, c61, bv0, bv1, first);
                            StoreTileRow<TS, TV>(dst + (7 * ldc2), c70, c71, bv0, bv1, first);
                            c00 = TS.Zero;
                            c01 = TS.Zero;
                            c10 = TS.Zero;
                            c11 = TS.Zero;
                            c20 = TS.Zero;
                            c21 = TS.Zero;
                            c30 = TS.Zero;
                            c31 = TS.Zero;
                            c40 = TS.Zero;
                            c41 = TS.Zero;
                            c50 = TS.Zero;
                            c51 = TS.Zero;
                            c60 = TS.Zero;
                            c61 = TS.Zero;
                            c70 = TS.Zero;
                            c71 = TS.Zero;
                            if (depth == k2)
                            {
                                tile++;
                                depth = 0;
                            }
                            if (tile < total)
                            {
                                Locate(tile, depth, rowBlocks, nr, k2, n2, kc2, nc2, lda2, a2, b2, out tb, out ta, out blockEnd);
                            }
                        }
                    }
                    for (; p + 4 <= kcur; p += 4, pb += 4 * nr)
                    {
                        s = TS.Broadcast(xp[p]);
                        a0 = TS.Fma(s, TS.Load(pb), a0);
                        a1 = TS.Fma(s, TS.Load(pb + lanes), a1);
                        s = TS.Broadcast(xp[p + 1]);
                        b0 = TS.Fma(s, TS.Load(pb + nr), b0);
                        b1 = TS.Fma(s, TS.Load(pb + nr + lanes), b1);
                        s = TS.Broadcast(xp[p + 2]);
                        d0 = TS.Fma(s, TS.Load(pb + (2 * nr)), d0);
                        d1 = TS.Fma(s, TS.Load(pb + (2 * nr) + lanes), d1);
                        s = TS.Broadcast(xp[p + 3]);
                        e0 = TS.Fma(s, TS.Load(pb + (3 * nr)), e0);
                        e1 = TS.Fma(s, TS.Load(pb + (3 * nr) + lanes), e1);
                    }
                    for (; p < kcur; p++, pb += nr)
                    {
                        s = TS.Broadcast(xp[p]);
                        a0 = TS.Fma(s, TS.Load(pb), a0);
                        a1 = TS.Fma(s, TS.Load(pb + lanes), a1);
                    }
                }
                var r0 = TS.Add(TS.Add(a0, b0), TS.Add(d0, e0));
                var r1 = TS.Add(TS.Add(a1, b1), TS.Add(d1, e1));
                var cols = Math.Min(nr, to - jr);
                var cc = c + jc + jr;
                if (cols == nr)
                {
                    StoreRow2<TS, TV>(cc, r0, r1, va, vb, readC);
                }
                else
                {
                    StoreRow2<TS, TV>(tail, r0, r1, TS.Broadcast(T.One), TS.Zero, false);
                    for (var j = 0; j < cols; j++)
                    {
                        StoreScalar(cc + j, tail[j], alpha, beta);
                    }
                }
            }
        }
        if (TTiles.On && total > 0)
        {
            TS.Store(acc + (0 * lanes), c00);
            TS.Store(acc + (1 * lanes), c01);
            TS.Store(acc + (2 * lanes), c10);
            TS.Store(acc + (3 * lanes), c11);
            TS.Store(acc + (4 * lanes), c20);
            TS.Store(acc + (5 * lanes), c21);
            TS.Store(acc + (6 * lanes), c30);
            TS.Store(acc + (7 * lanes), c31);
            TS.Store(acc + (8 * lanes), c40);
            TS.Store(acc + (9 * lanes), c41);
            TS.Store(acc + (10 * lanes), c50);
            TS.Store(acc + (11 * lanes), c51);
            TS.Store(acc + (12 * lanes), c60);
            TS.Store(acc + (13 * lanes), c61);
            TS.Store(acc + (14 * lanes), c70);
            TS.Store(acc + (15 * lanes), c71);
        }
        if (TTiles.On)
        {
            tiles.Tile = tile;
            tiles.Depth = depth;
        }
    }

    /// <summary>
    /// Where tile <paramref name="tile"/> of a <see cref="TileStream{T}"/> reads at depth <paramref name="depth"/>: its
    /// panel of op(B) in the packed layout, its rows of A, and the depth at which its packed depth block ends.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Locate(int tile, int depth, int rowBlocks, int nr, int k, int n, int kc, int nc, nint lda, T* a, T* b,
        out T* tb, out T* ta, out int blockEnd)
    {
        var panel = tile / rowBlocks;
        var j = panel * nr;
        var jc = j / nc * nc;
        var ncurPadded = RoundUp(Math.Min(nc, n - jc), nr);
        var pc = depth / kc * kc;
        var kcur = Math.Min(kc, k - pc);
        tb = b + ((nint)jc * k) + ((nint)pc * ncurPadded) + ((nint)(j - jc) * kcur) + ((nint)(depth - pc) * nr);
        ta = a + ((nint)(tile - (panel * rowBlocks)) * 8 * lda) + depth;
        blockEnd = pc + kcur;
    }

    /// <summary>One row of a finished tile block: the first block adds the bias (or nothing), later ones C, as the micro-kernel stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTileRow<TS, TV>(T* c, TV v0, TV v1, TV bias0, TV bias1, bool first)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var one = TS.One;
        TS.Store(c, TS.Fma(v0, one, first ? bias0 : TS.Load(c)));
        TS.Store(c + TS.Count, TS.Fma(v1, one, first ? bias1 : TS.Load(c + TS.Count)));
    }
}

/// <summary>Whether <see cref="GemmDriver{T}"/>'s one-row product runs a tile stream beside it: a constant per type argument.</summary>
internal interface ITileSwitch
{
    /// <summary>True: the stream runs.</summary>
    static abstract bool On { get; }
}

/// <summary>The one-row product with its tile stream.</summary>
internal readonly struct TilesOn : ITileSwitch
{
    /// <inheritdoc/>
    public static bool On => true;
}

/// <summary>The one-row product alone.</summary>
internal readonly struct TilesOff : ITileSwitch
{
    /// <inheritdoc/>
    public static bool On => false;
}
