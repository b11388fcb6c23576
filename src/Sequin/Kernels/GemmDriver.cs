using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sequin.Kernels;

/// <summary>
/// The fast GEMM behind <see cref="Gemm.Sgemm"/> and <see cref="Gemm.Dgemm"/>, on raw pointers that the
/// caller has validated and pinned. Row-major throughout: <c>C = alpha · op(A) · op(B) + beta · C</c>.
/// </summary>
/// <remarks>
/// <para>Two algorithms, both written once over <see cref="ISimdOps{T, TV}"/> and specialised for
/// AVX-512, AVX2 and scalar code:</para>
/// <list type="bullet">
/// <item>Packed panels (after Goto/BLIS): B is packed into <c>KC × NR</c> column panels and A into
/// <c>MR × KC</c> row panels (transposition is absorbed by the packing, zero-padded at the edges), and a
/// register-blocked <c>MR × NR</c> micro-kernel (NR = two vectors) runs over them. Loops: NC columns of
/// B → KC depth → MC rows of A → NR panel → MR panel.</item>
/// <item>Small M (batch 1–<see cref="SmallM"/>): no packing; B is streamed once from where it lies,
/// as dot products along k when B is transposed (weights stored <c>(n × k)</c>) or as rows of B scaled
/// by broadcast elements of A otherwise.</item>
/// </list>
/// Large products are split into contiguous row or column ranges, one per thread.
/// </remarks>
[SkipLocalsInit]
internal static unsafe partial class GemmDriver<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Depth of one packed block (elements of k).</summary>
    internal static int KC = 256;

    /// <summary>Rows of A per packed block (a multiple of every micro-tile height: 8, 6, 4).</summary>
    internal static int MC = 192;

    /// <summary>Columns of B per packed block (a multiple of every micro-tile width).</summary>
    internal static int NC = 2048;

    /// <summary>Largest m that takes the unpacked small-M path when B is not transposed.</summary>
    internal static int SmallM = 8;

    /// <summary>
    /// Largest m that takes the unpacked small-M path when B is transposed (dot products need horizontal sums,
    /// so the packed micro-kernel wins sooner: measured faster from m = 8 at n = 512..2048, k = 128..512).
    /// </summary>
    internal static int SmallMTransposedB = 4;

    private static bool UseSmallM(int m, bool transB, int lanes)
        => lanes > 1 && m <= (transB ? SmallMTransposedB : SmallM);

    /// <summary>Smallest m·n·k that is split across threads.</summary>
    internal static long ParallelThreshold = 1L << 20;

    [ThreadStatic] private static T[]? t_bufA;
    [ThreadStatic] private static T[]? t_bufB;

    /// <summary>Entry: handles the degenerate cases, then runs on one thread or splits across several.</summary>
    internal static void Run(SimdLevel isa, bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        if (k == 0 || T.IsZero(alpha))
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        var threads = Parallelism.MaxThreads;
        var work = (long)m * n * k;
        if (threads <= 1 || work < ParallelThreshold)
        {
            Serial(isa, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        var lanes = Lanes(isa);
        var mr = TileRows(isa);
        var nr = 2 * lanes;
        var small = UseSmallM(m, transB, lanes);
        var rowTiles = (m + mr - 1) / mr;
        var colUnit = small ? 4 * lanes : nr;
        var colTiles = (n + colUnit - 1) / colUnit;
        var (gridM, gridN) = small ? (1, Math.Min(threads, colTiles)) : Grid(threads, rowTiles, colTiles, m, n, k);
        if (gridM * gridN <= 1)
        {
            Serial(isa, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        var chunkM = (rowTiles + gridM - 1) / gridM * mr;
        var chunkN = (colTiles + gridN - 1) / gridN * colUnit;
        gridM = (m + chunkM - 1) / chunkM;
        gridN = (n + chunkN - 1) / chunkN;
        RunParallel(isa, transA, transB, m, n, k, alpha, (nint)a, lda, (nint)b, ldb, beta, (nint)c, ldc, chunkM, chunkN, gridM, gridN);
    }

    /// <summary>
    /// The threads' grid over C, <c>gridM</c> row ranges × <c>gridN</c> column ranges. Each part packs the A rows and the
    /// B columns of its own block, so a grid packs A <c>gridN</c> times and B <c>gridM</c> times over: the grid with the
    /// fewest packed elements (<c>gridN·m·k + gridM·k·n</c>) wins, among those that use the most threads: with 16
    /// threads a 1024³ product splits 4 × 4 and packs B 4 times instead of 16 (one row range per thread). Up to three
    /// threads the split stays one-dimensional as before, rows when there are at least as many row tiles as column
    /// tiles: the two-core measurements in the README were made with it.
    /// </summary>
    internal static (int GridM, int GridN) Grid(int threads, int rowTiles, int colTiles, int m, int n, int k)
    {
        if (threads <= 3)
        {
            return rowTiles >= colTiles ? (Math.Min(threads, rowTiles), 1) : (1, Math.Min(threads, colTiles));
        }
        var best = (GridM: 1, GridN: 1);
        var bestUsed = 0;
        var bestCost = double.MaxValue;
        for (var gm = 1; gm <= Math.Min(threads, rowTiles); gm++)
        {
            var gn = Math.Min(threads / gm, colTiles);
            var used = gm * gn;
            var cost = ((double)gn * m * k) + ((double)gm * k * n);
            // gm only grows, so "<=" hands a tie on cost to more row ranges, as the old rule split rows when row tiles ≥ column tiles.
            if (used > bestUsed || (used == bestUsed && cost <= bestCost))
            {
                (best, bestUsed, bestCost) = ((gm, gn), used, cost);
            }
        }
        return best;
    }

    /// <summary>Elements of <typeparamref name="T"/> per vector on <paramref name="isa"/> (1 for scalar code).</summary>
    internal static int Lanes(SimdLevel isa) => isa switch
    {
        SimdLevel.Avx512 => Vector512<T>.Count,
        SimdLevel.Avx2 => Vector256<T>.Count,
        _ => 1,
    };

    /// <summary>Rows of the micro-tile on <paramref name="isa"/> (<see cref="ISimdOps{T, TV}.GemmRows"/>).</summary>
    internal static int TileRows(SimdLevel isa) => isa switch { SimdLevel.Avx512 => 8, SimdLevel.Avx2 => 6, _ => 4 };

    /// <summary>
    /// Splits C into a <paramref name="gridM"/> × <paramref name="gridN"/> grid of blocks of <paramref name="chunkM"/> rows
    /// and <paramref name="chunkN"/> columns and runs one block per part on <see cref="WorkerPool"/>. The work object is
    /// cached per thread, so nothing is allocated.
    /// </summary>
    private static void RunParallel(SimdLevel isa, bool transA, bool transB, int m, int n, int k, T alpha,
        nint pa, int lda, nint pb, int ldb, T beta, nint pc, int ldc, int chunkM, int chunkN, int gridM, int gridN)
    {
        var work = t_work ?? new SplitWork();
        t_work = null; // a nested call on this thread gets its own object
        work.Set(isa, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, chunkM, chunkN, gridN);
        try
        {
            WorkerPool.Run(work, gridM * gridN);
        }
        finally
        {
            t_work = work;
        }
    }

    [ThreadStatic] private static SplitWork? t_work;

    /// <summary>One GEMM split into a grid of blocks of C, one block per part (row-major over the grid).</summary>
    private sealed class SplitWork : PoolWork
    {
        private SimdLevel isa;
        private bool transA, transB;
        private int m, n, k, lda, ldb, ldc, chunkM, chunkN, gridN;
        private T alpha, beta;
        private nint pa, pb, pc;

        public void Set(SimdLevel isa, bool transA, bool transB, int m, int n, int k, T alpha,
            nint pa, int lda, nint pb, int ldb, T beta, nint pc, int ldc, int chunkM, int chunkN, int gridN)
        {
            (this.isa, this.transA, this.transB, this.m, this.n, this.k, this.alpha) = (isa, transA, transB, m, n, k, alpha);
            (this.pa, this.lda, this.pb, this.ldb, this.beta, this.pc, this.ldc) = (pa, lda, pb, ldb, beta, pc, ldc);
            (this.chunkM, this.chunkN, this.gridN) = (chunkM, chunkN, gridN);
        }

        public override void Execute(int part)
        {
            var i0 = part / gridN * chunkM;
            var j0 = part % gridN * chunkN;
            var rows = Math.Min(chunkM, m - i0);
            var cols = Math.Min(chunkN, n - j0);
            if (rows <= 0 || cols <= 0)
            {
                return;
            }
            var a0 = (T*)pa;
            var b0 = (T*)pb;
            Serial(isa, transA, transB, rows, cols, k, alpha, transA ? a0 + i0 : a0 + ((nint)i0 * lda), lda,
                transB ? b0 + ((nint)j0 * ldb) : b0 + j0, ldb, beta, (T*)pc + ((nint)i0 * ldc) + j0, ldc);
        }
    }

    /// <summary>Runs the whole product on the calling thread with the given instruction set.</summary>
    internal static void Serial(SimdLevel isa, bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
    {
        switch (isa)
        {
            case SimdLevel.Avx512:
                Dispatch<Ops512<T>, Vector512<T>>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                break;
            case SimdLevel.Avx2:
                Dispatch<Ops256<T>, Vector256<T>>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                break;
            default:
                Dispatch<OpsScalar<T>, T>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                break;
        }
    }

    private static void Dispatch<TS, TV>(bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        if (UseSmallM(m, transB, TS.Count))
        {
            if (transB)
            {
                SmallMTransB<TS, TV>(transA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            }
            else
            {
                SmallMNoTransB<TS, TV>(transA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            }
            return;
        }
        Packed<TS, TV>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    // ---------------------------------------------------------------- buffers and helpers

    /// <summary>A 64-byte-aligned pointer into a pinned, thread-owned buffer of at least <paramref name="length"/> elements.</summary>
    private static T* Buffer(ref T[]? buffer, int length)
    {
        var pad = 64 / sizeof(T);
        if (buffer is null || buffer.Length < length + pad)
        {
            buffer = GC.AllocateUninitializedArray<T>(length + pad, pinned: true);
        }
        var p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (T*)((p + 63) & ~(nint)63);
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>C = beta · C (C is zeroed, not read, when beta is 0).</summary>
    private static void ScaleC(int m, int n, T beta, T* c, int ldc)
    {
        if (T.IsZero(beta))
        {
            for (var i = 0; i < m; i++)
            {
                new Span<T>(c + ((nint)i * ldc), n).Clear();
            }
        }
        else if (beta != T.One)
        {
            for (var i = 0; i < m; i++)
            {
                var row = c + ((nint)i * ldc);
                for (var j = 0; j < n; j++)
                {
                    row[j] *= beta;
                }
            }
        }
    }

    /// <summary>c = alpha · v (+ beta · c unless beta is 0), for one scalar result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreScalar(T* c, T v, T alpha, T beta)
        => *c = T.IsZero(beta) ? alpha * v : (alpha * v) + (beta * *c);

    /// <summary>c[0..2L) = alpha · (v0, v1) (+ beta · c).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow2<TS, TV>(T* c, TV v0, TV v1, TV va, TV vb, bool readC)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        if (readC)
        {
            TS.Store(c, TS.Fma(v0, va, TS.Mul(TS.Load(c), vb)));
            TS.Store(c + TS.Count, TS.Fma(v1, va, TS.Mul(TS.Load(c + TS.Count), vb)));
        }
        else
        {
            TS.Store(c, TS.Mul(v0, va));
            TS.Store(c + TS.Count, TS.Mul(v1, va));
        }
    }

    // ---------------------------------------------------------------- packed path

    private static void Packed<TS, TV>(bool transA, bool transB, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var mr = TS.GemmRows;
        var nr = 2 * TS.Count;
        var kcMax = Math.Min(KC, k);
        var mcMax = Math.Min(MC, RoundUp(m, mr));
        var ncMax = Math.Min(NC, RoundUp(n, nr));
        var packA = Buffer(ref t_bufA, mcMax * kcMax);
        var packB = Buffer(ref t_bufB, kcMax * ncMax);

        for (var jc = 0; jc < n; jc += NC)
        {
            var ncur = Math.Min(NC, n - jc);
            for (var pc = 0; pc < k; pc += KC)
            {
                var kcur = Math.Min(KC, k - pc);
                PackB<TS, TV>(transB, b, ldb, pc, jc, kcur, ncur, packB);
                Macro<TS, TV>(transA, m, 0, ncur, kcur, pc, alpha, a, lda, packB, pc == 0 ? beta : T.One, c + jc, ldc, packA);
            }
        }
    }

    /// <summary>
    /// Like <see cref="Packed{TS, TV}"/> with B already packed (<see cref="PackedMatrix{T}"/>), for the columns
    /// <c>[j0, j1)</c> of C only; <paramref name="j0"/> is a multiple of the panel width.
    /// </summary>
    internal static void Prepacked<TS, TV>(int m, int j0, int j1, T alpha, T* a, int lda, T* pre, int k, int n, int kc, int nc,
        T beta, T* c, int ldc)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var mr = TS.GemmRows;
        var nr = 2 * TS.Count;
        var packA = Buffer(ref t_bufA, Math.Min(MC, RoundUp(m, mr)) * Math.Min(kc, k));
        for (var jc = j0 / nc * nc; jc < j1; jc += nc)
        {
            var ncur = Math.Min(nc, n - jc);
            var ncurPadded = RoundUp(ncur, nr);
            var from = Math.Max(j0 - jc, 0);
            var to = Math.Min(j1 - jc, ncur);
            for (var pc = 0; pc < k; pc += kc)
            {
                var kcur = Math.Min(kc, k - pc);
                var block = pre + ((nint)jc * k) + ((nint)pc * ncurPadded);
                Macro<TS, TV>(false, m, from, to, kcur, pc, alpha, a, lda, block, pc == 0 ? beta : T.One, c + jc, ldc, packA);
            }
        }
    }

    /// <summary>
    /// Copies the valid <paramref name="rows"/> × <paramref name="cols"/> corner of a full micro-tile computed into
    /// <paramref name="tile"/> (row stride two vectors) to C, applying alpha and beta: whole vectors when the tile is
    /// full width (the usual case: a batch that is not a multiple of the tile height), element by element otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreEdge<TS, TV>(T* tile, int rows, int cols, T* c, int ldc, T alpha, T beta)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var lanes = TS.Count;
        var nr = 2 * lanes;
        if (cols == nr && lanes > 1)
        {
            var va = TS.Broadcast(alpha);
            var vb = TS.Broadcast(beta);
            var readC = !T.IsZero(beta);
            for (var i = 0; i < rows; i++)
            {
                var t = tile + (i * nr);
                StoreRow2<TS, TV>(c + ((nint)i * ldc), TS.Load(t), TS.Load(t + lanes), va, vb, readC);
            }
            return;
        }
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                StoreScalar(c + ((nint)i * ldc) + j, tile[(i * nr) + j], alpha, beta);
            }
        }
    }

    /// <summary>
    /// A product against pre-packed B on the calling thread, columns <c>[j0, j1)</c>: one row takes the panel GEMV
    /// (<paramref name="reverse"/> walks its panels backwards), two to four rows the in-place few-row kernel, more rows
    /// the packed micro-kernel.
    /// </summary>
    internal static void RunPrepacked<TS, TV>(int m, int j0, int j1, T alpha, T* a, int lda, T* pre, int k, int n, int kc, int nc,
        T beta, T* c, int ldc, bool reverse)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        if (m == 1)
        {
            PrepackedGemv<TS, TV>(j0, j1, alpha, a, pre, k, n, kc, nc, beta, c, reverse);
        }
        else if (m <= 4)
        {
            PrepackedFewRows<TS, TV>(m, j0, j1, alpha, a, lda, pre, k, n, kc, nc, beta, c, ldc);
        }
        else
        {
            Prepacked<TS, TV>(m, j0, j1, alpha, a, lda, pre, k, n, kc, nc, beta, c, ldc);
        }
    }

    /// <summary>
    /// Two to four rows of A against pre-packed B, reading A in place (no packing, no zero rows): a small batch would
    /// otherwise pay for a full 8-row micro-tile and its packing. Two accumulators per row, one pass over each panel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PrepackedFewRows<TS, TV>(int rows, int j0, int j1, T alpha, T* a, int lda, T* pre, int k, int n, int kc, int nc,
        T beta, T* c, int ldc)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var lanes = TS.Count;
        var nr = 2 * lanes;
        var tile = stackalloc T[4 * 2 * 16];
        var a1 = a + lda;
        var a2 = rows > 2 ? a + (2 * (nint)lda) : a1;
        var a3 = rows > 3 ? a + (3 * (nint)lda) : a2;
        for (var jc = j0 / nc * nc; jc < j1; jc += nc)
        {
            var ncur = Math.Min(nc, n - jc);
            var ncurPadded = RoundUp(ncur, nr);
            var from = Math.Max(j0 - jc, 0);
            var to = Math.Min(j1 - jc, ncur);
            for (var jr = from; jr < to; jr += nr)
            {
                TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero;
                for (var pc = 0; pc < k; pc += kc)
                {
                    var kcur = Math.Min(kc, k - pc);
                    var pb = pre + ((nint)jc * k) + ((nint)pc * ncurPadded) + ((nint)jr * kcur);
                    for (var p = 0; p < kcur; p++, pb += nr)
                    {
                        var b0 = TS.Load(pb);
                        var b1 = TS.Load(pb + lanes);
                        var q = pc + p;
                        var x = TS.Broadcast(a[q]);
                        c00 = TS.Fma(x, b0, c00);
                        c01 = TS.Fma(x, b1, c01);
                        x = TS.Broadcast(a1[q]);
                        c10 = TS.Fma(x, b0, c10);
                        c11 = TS.Fma(x, b1, c11);
                        x = TS.Broadcast(a2[q]);
                        c20 = TS.Fma(x, b0, c20);
                        c21 = TS.Fma(x, b1, c21);
                        x = TS.Broadcast(a3[q]);
                        c30 = TS.Fma(x, b0, c30);
                        c31 = TS.Fma(x, b1, c31);
                    }
                }
                var cols = Math.Min(nr, to - jr);
                var one = TS.Broadcast(T.One);
                StoreRow2<TS, TV>(tile, c00, c01, one, TS.Zero, false);
                StoreRow2<TS, TV>(tile + nr, c10, c11, one, TS.Zero, false);
                StoreRow2<TS, TV>(tile + (2 * nr), c20, c21, one, TS.Zero, false);
                StoreRow2<TS, TV>(tile + (3 * nr), c30, c31, one, TS.Zero, false);
                StoreEdge<TS, TV>(tile, rows, cols, c + jc + jr, ldc, alpha, beta);
            }
        }
    }

    /// <summary>
    /// One packed block of B (depth <paramref name="kcur"/> from <paramref name="pc"/>) against all rows of op(A):
    /// MC rows of A are packed at a time, then the micro-kernel runs over the B panels <c>[from, to)</c> of the block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Macro<TS, TV>(bool transA, int m, int from, int to, int kcur, int pc, T alpha, T* a, int lda,
        T* packB, T beta, T* c, int ldc, T* packA)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var mr = TS.GemmRows;
        var nr = 2 * TS.Count;
        var tile = stackalloc T[8 * 2 * 16];
        for (var ic = 0; ic < m; ic += MC)
        {
            var mcur = Math.Min(MC, m - ic);
            PackA(transA, a, lda, ic, pc, mcur, kcur, mr, packA);
            for (var jr = from; jr < to; jr += nr)
            {
                var cols = Math.Min(nr, to - jr);
                var pb = packB + ((nint)jr * kcur);
                for (var ir = 0; ir < mcur; ir += mr)
                {
                    var rows = Math.Min(mr, mcur - ir);
                    var pa = packA + ((nint)ir * kcur);
                    var cc = c + ((nint)(ic + ir) * ldc) + jr;
                    if (rows == mr && cols == nr)
                    {
                        Micro<TS, TV>(kcur, pa, pb, cc, ldc, alpha, beta);
                    }
                    else
                    {
                        Micro<TS, TV>(kcur, pa, pb, tile, nr, T.One, T.Zero);
                        StoreEdge<TS, TV>(tile, rows, cols, cc, ldc, alpha, beta);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs rows [ic, ic+mcur) × depth [pc, pc+kcur) of op(A) into MR-row panels: panel r holds, for each p,
    /// the MR values op(A)[ic + r·MR + 0..MR-1, pc + p] contiguously; rows past the edge are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(bool transA, T* a, int lda, int ic, int pc, int mcur, int kcur, int mr, T* dst)
    {
        for (var ir = 0; ir < mcur; ir += mr)
        {
            var rows = Math.Min(mr, mcur - ir);
            var d = dst + ((nint)ir * kcur);
            // A full 8-row panel (the AVX-512 tile height) is an 8 × kcur block transposed, so it takes the register
            // transposes of PackTransposedPanel: 3-5% faster batch-64 LSTM and GRU layers, in alternating runs, than
            // eight row pointers copying element by element (which had replaced this general loop, at about 4 cycles
            // per element).
            if (!transA && rows == 8 && mr == 8 && PackTransposedPanel(a, lda, pc, ic + ir, kcur, 8, d) == 8)
            {
                continue;
            }
            if (!transA)
            {
                var s = a + ((nint)(ic + ir) * lda) + pc;
                for (var p = 0; p < kcur; p++)
                {
                    var dp = d + ((nint)p * mr);
                    var sp = s + p;
                    var ii = 0;
                    for (; ii < rows; ii++)
                    {
                        dp[ii] = sp[(nint)ii * lda];
                    }
                    for (; ii < mr; ii++)
                    {
                        dp[ii] = T.Zero;
                    }
                }
            }
            else if (rows == 8 && mr == 8)
            {
                // Transposed A: a full 8-row panel is, at each depth, 8 contiguous values (one 32- or 64-byte copy);
                // element by element this loop was 4.5% of an LSTM training step.
                var sp = a + ((nint)pc * lda) + ic + ir;
                for (var p = 0; p < kcur; p++, sp += lda, d += 8)
                {
                    Unsafe.CopyBlockUnaligned(d, sp, (uint)(8 * sizeof(T)));
                }
            }
            else
            {
                for (var p = 0; p < kcur; p++)
                {
                    var dp = d + ((nint)p * mr);
                    var sp = a + ((nint)(pc + p) * lda) + ic + ir;
                    var ii = 0;
                    for (; ii < rows; ii++)
                    {
                        dp[ii] = sp[ii];
                    }
                    for (; ii < mr; ii++)
                    {
                        dp[ii] = T.Zero;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs depth [pc, pc+kcur) × columns [jc, jc+ncur) of op(B) into NR-column panels: panel q holds, for
    /// each p, the NR values op(B)[pc + p, jc + q·NR + 0..NR-1] contiguously; columns past the edge are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackB<TS, TV>(bool transB, T* b, int ldb, int pc, int jc, int kcur, int ncur, T* dst)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var lanes = TS.Count;
        var nr = 2 * lanes;
        for (var jr = 0; jr < ncur; jr += nr)
        {
            var cols = Math.Min(nr, ncur - jr);
            var d = dst + ((nint)jr * kcur);
            if (!transB)
            {
                var s = b + ((nint)pc * ldb) + jc + jr;
                if (cols == nr)
                {
                    for (var p = 0; p < kcur; p++)
                    {
                        var sp = s + ((nint)p * ldb);
                        var dp = d + ((nint)p * nr);
                        TS.Store(dp, TS.Load(sp));
                        TS.Store(dp + lanes, TS.Load(sp + lanes));
                    }
                }
                else
                {
                    for (var p = 0; p < kcur; p++)
                    {
                        var sp = s + ((nint)p * ldb);
                        var dp = d + ((nint)p * nr);
                        var jj = 0;
                        for (; jj < cols; jj++)
                        {
                            dp[jj] = sp[jj];
                        }
                        for (; jj < nr; jj++)
                        {
                            dp[jj] = T.Zero;
                        }
                    }
                }
            }
            else
            {
                var jj = 0;
                if (lanes > 1 && cols == nr)
                {
                    jj = PackTransposedPanel(b, ldb, pc, jc + jr, kcur, nr, d);
                }
                for (; jj < cols; jj++)
                {
                    var s = b + ((nint)(jc + jr + jj) * ldb) + pc;
                    for (var p = 0; p < kcur; p++)
                    {
                        d[((nint)p * nr) + jj] = s[p];
                    }
                }
                for (; jj < nr; jj++)
                {
                    for (var p = 0; p < kcur; p++)
                    {
                        d[((nint)p * nr) + jj] = T.Zero;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Transposing copy for a full panel of a transposed B: rows j0..j0+nr of B (each contiguous along k) become,
    /// for each p, nr contiguous values. Works in 8 × 8 (float) or 4 × 4 (double) register transposes; returns
    /// nr when done, or 0 when this CPU lacks AVX (the caller then copies element by element).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int PackTransposedPanel(T* b, int ldb, int pc, int j0, int kcur, int nr, T* d)
    {
        if (!Avx.IsSupported)
        {
            return 0;
        }
        if (typeof(T) == typeof(float))
        {
            var kv = kcur & ~7;
            for (var jj = 0; jj < nr; jj += 8)
            {
                var s = (float*)b + ((nint)(j0 + jj) * ldb) + pc;
                var dd = (float*)d + jj;
                for (var p = 0; p < kv; p += 8)
                {
                    var sp = s + p;
                    var r0 = Avx.LoadVector256(sp);
                    var r1 = Avx.LoadVector256(sp + ldb);
                    var r2 = Avx.LoadVector256(sp + (2 * (nint)ldb));
                    var r3 = Avx.LoadVector256(sp + (3 * (nint)ldb));
                    var r4 = Avx.LoadVector256(sp + (4 * (nint)ldb));
                    var r5 = Avx.LoadVector256(sp + (5 * (nint)ldb));
                    var r6 = Avx.LoadVector256(sp + (6 * (nint)ldb));
                    var r7 = Avx.LoadVector256(sp + (7 * (nint)ldb));
                    var t0 = Avx.UnpackLow(r0, r1);
                    var t1 = Avx.UnpackHigh(r0, r1);
                    var t2 = Avx.UnpackLow(r2, r3);
                    var t3 = Avx.UnpackHigh(r2, r3);
                    var t4 = Avx.UnpackLow(r4, r5);
                    var t5 = Avx.UnpackHigh(r4, r5);
                    var t6 = Avx.UnpackLow(r6, r7);
                    var t7 = Avx.UnpackHigh(r6, r7);
                    var u0 = Avx.Shuffle(t0, t2, 0x44);
                    var u1 = Avx.Shuffle(t0, t2, 0xEE);
                    var u2 = Avx.Shuffle(t1, t3, 0x44);
                    var u3 = Avx.Shuffle(t1, t3, 0xEE);
                    var u4 = Avx.Shuffle(t4, t6, 0x44);
                    var u5 = Avx.Shuffle(t4, t6, 0xEE);
                    var u6 = Avx.Shuffle(t5, t7, 0x44);
                    var u7 = Avx.Shuffle(t5, t7, 0xEE);
                    var dp = dd + ((nint)p * nr);
                    Avx.Store(dp, Avx.Permute2x128(u0, u4, 0x20));
                    Avx.Store(dp + nr, Avx.Permute2x128(u1, u5, 0x20));
                    Avx.Store(dp + (2 * nr), Avx.Permute2x128(u2, u6, 0x20));
                    Avx.Store(dp + (3 * nr), Avx.Permute2x128(u3, u7, 0x20));
                    Avx.Store(dp + (4 * nr), Avx.Permute2x128(u0, u4, 0x31));
                    Avx.Store(dp + (5 * nr), Avx.Permute2x128(u1, u5, 0x31));
                    Avx.Store(dp + (6 * nr), Avx.Permute2x128(u2, u6, 0x31));
                    Avx.Store(dp + (7 * nr), Avx.Permute2x128(u3, u7, 0x31));
                }
                for (var p = kv; p < kcur; p++)
                {
                    for (var q = 0; q < 8; q++)
                    {
                        dd[((nint)p * nr) + q] = s[((nint)q * ldb) + p];
                    }
                }
            }
            return nr;
        }
        if (typeof(T) == typeof(double))
        {
            var kv = kcur & ~3;
            for (var jj = 0; jj < nr; jj += 4)
            {
                var s = (double*)b + ((nint)(j0 + jj) * ldb) + pc;
                var dd = (double*)d + jj;
                for (var p = 0; p < kv; p += 4)
                {
                    var sp = s + p;
                    var r0 = Avx.LoadVector256(sp);
                    var r1 = Avx.LoadVector256(sp + ldb);
                    var r2 = Avx.LoadVector256(sp + (2 * (nint)ldb));
                    var r3 = Avx.LoadVector256(sp + (3 * (nint)ldb));
                    var t0 = Avx.UnpackLow(r0, r1);
                    var t1 = Avx.UnpackHigh(r0, r1);
                    var t2 = Avx.UnpackLow(r2, r3);
                    var t3 = Avx.UnpackHigh(r2, r3);
                    var dp = dd + ((nint)p * nr);
                    Avx.Store(dp, Avx.Permute2x128(t0, t2, 0x20));
                    Avx.Store(dp + nr, Avx.Permute2x128(t1, t3, 0x20));
                    Avx.Store(dp + (2 * nr), Avx.Permute2x128(t0, t2, 0x31));
                    Avx.Store(dp + (3 * nr), Avx.Permute2x128(t1, t3, 0x31));
                }
                for (var p = kv; p < kcur; p++)
                {
                    for (var q = 0; q < 4; q++)
                    {
                        dd[((nint)p * nr) + q] = s[((nint)q * ldb) + p];
                    }
                }
            }
            return nr;
        }
        return 0;
    }

    /// <summary>
    /// The register-blocked micro-kernel: an MR × NR tile (MR = <c>TS.GemmRows</c>, NR = two vectors) of
    /// <c>C = alpha · Apanel · Bpanel + beta · C</c> over depth <paramref name="kc"/>; C is not read when beta is 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro<TS, TV>(int kc, T* pa, T* pb, T* c, int ldc, T alpha, T beta)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var lanes = TS.Count;
        var mr = TS.GemmRows;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero;
        TV c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero, c60 = TS.Zero, c61 = TS.Zero, c70 = TS.Zero, c71 = TS.Zero;
        for (var p = 0; p < kc; p++)
        {
            var b0 = TS.Load(pb);
            var b1 = TS.Load(pb + lanes);
            var x = TS.Broadcast(pa[0]);
            c00 = TS.Fma(x, b0, c00);
            c01 = TS.Fma(x, b1, c01);
            x = TS.Broadcast(pa[1]);
            c10 = TS.Fma(x, b0, c10);
            c11 = TS.Fma(x, b1, c11);
            x = TS.Broadcast(pa[2]);
            c20 = TS.Fma(x, b0, c20);
            c21 = TS.Fma(x, b1, c21);
            x = TS.Broadcast(pa[3]);
            c30 = TS.Fma(x, b0, c30);
            c31 = TS.Fma(x, b1, c31);
            if (mr > 4)
            {
                x = TS.Broadcast(pa[4]);
                c40 = TS.Fma(x, b0, c40);
                c41 = TS.Fma(x, b1, c41);
                x = TS.Broadcast(pa[5]);
                c50 = TS.Fma(x, b0, c50);
                c51 = TS.Fma(x, b1, c51);
            }
            if (mr > 6)
            {
                x = TS.Broadcast(pa[6]);
                c60 = TS.Fma(x, b0, c60);
                c61 = TS.Fma(x, b1, c61);
                x = TS.Broadcast(pa[7]);
                c70 = TS.Fma(x, b0, c70);
                c71 = TS.Fma(x, b1, c71);
            }
            pa += mr;
            pb += 2 * lanes;
        }

        var va = TS.Broadcast(alpha);
        var vb = TS.Broadcast(beta);
        var readC = !T.IsZero(beta);
        StoreRow2<TS, TV>(c, c00, c01, va, vb, readC);
        StoreRow2<TS, TV>(c + ldc, c10, c11, va, vb, readC);
        StoreRow2<TS, TV>(c + (2 * (nint)ldc), c20, c21, va, vb, readC);
        StoreRow2<TS, TV>(c + (3 * (nint)ldc), c30, c31, va, vb, readC);
        if (mr > 4)
        {
            StoreRow2<TS, TV>(c + (4 * (nint)ldc), c40, c41, va, vb, readC);
            StoreRow2<TS, TV>(c + (5 * (nint)ldc), c50, c51, va, vb, readC);
        }
        if (mr > 6)
        {
            StoreRow2<TS, TV>(c + (6 * (nint)ldc), c60, c61, va, vb, readC);
            StoreRow2<TS, TV>(c + (7 * (nint)ldc), c70, c71, va, vb, readC);
        }
    }

    // ---------------------------------------------------------------- small-M path

    /// <summary>
    /// Small m with B stored transposed, <c>(n × k)</c> (the layout of weight matrices): each C[i, j] is a
    /// dot product of row i of A with row j of B, so B streams once, row by row, in memory order.
    /// </summary>
    private static void SmallMTransB<TS, TV>(bool transA, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        if (transA)
        {
            // Rows of op(A) are columns of A: gather them once (m·k elements) so the dot products read contiguously.
            var copy = Buffer(ref t_bufA, m * k);
            for (var i = 0; i < m; i++)
            {
                for (var p = 0; p < k; p++)
                {
                    copy[((nint)i * k) + p] = a[((nint)p * lda) + i];
                }
            }
            a = copy;
            lda = k;
        }
        if (m == 1 && typeof(T) == typeof(float) && TS.Count >= 8 && Avx2.IsSupported && k >= TS.Count)
        {
            DotRow8<TS, TV>(k, n, (float)(object)alpha, (float*)a, (float*)b, ldb, (float)(object)beta, (float*)c);
            return;
        }
        var i0 = 0;
        for (; i0 + 4 <= m; i0 += 4)
        {
            DotRows<TS, TV>(4, k, n, alpha, a + ((nint)i0 * lda), lda, b, ldb, beta, c + ((nint)i0 * ldc), ldc);
        }
        if (m - i0 >= 2)
        {
            DotRows<TS, TV>(2, k, n, alpha, a + ((nint)i0 * lda), lda, b, ldb, beta, c + ((nint)i0 * ldc), ldc);
            i0 += 2;
        }
        if (m - i0 == 1)
        {
            DotRows<TS, TV>(1, k, n, alpha, a + ((nint)i0 * lda), lda, b, ldb, beta, c + ((nint)i0 * ldc), ldc);
        }
    }

    /// <summary>
    /// One row of C (float, m = 1: the streaming step's matrix-vector product) as dot products with eight rows of B at
    /// a time. The eight accumulators are reduced together by a horizontal-add tree that leaves the eight sums in one
    /// vector — about three instructions per column instead of a full reduction per column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotRow8<TS, TV>(int k, int n, float alpha, float* x, float* b, int ldb, float beta, float* c)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var lanes = TS.Count;
        var kv = k - (k % lanes);
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        var tail = stackalloc float[8];
        var j0 = 0;
        for (; j0 + 8 <= n; j0 += 8)
        {
            var w = b + ((nint)j0 * ldb);
            TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero, s4 = TS.Zero, s5 = TS.Zero, s6 = TS.Zero, s7 = TS.Zero;
            for (var p = 0; p < kv; p += lanes)
            {
                var xv = TS.Load((T*)(x + p));
                var wp = w + p;
                s0 = TS.Fma(xv, TS.Load((T*)wp), s0);
                s1 = TS.Fma(xv, TS.Load((T*)(wp + ldb)), s1);
                s2 = TS.Fma(xv, TS.Load((T*)(wp + (2 * (nint)ldb))), s2);
                s3 = TS.Fma(xv, TS.Load((T*)(wp + (3 * (nint)ldb))), s3);
                s4 = TS.Fma(xv, TS.Load((T*)(wp + (4 * (nint)ldb))), s4);
                s5 = TS.Fma(xv, TS.Load((T*)(wp + (5 * (nint)ldb))), s5);
                s6 = TS.Fma(xv, TS.Load((T*)(wp + (6 * (nint)ldb))), s6);
                s7 = TS.Fma(xv, TS.Load((T*)(wp + (7 * (nint)ldb))), s7);
            }
            var sums = Reduce8(Half(s0), Half(s1), Half(s2), Half(s3), Half(s4), Half(s5), Half(s6), Half(s7));
            if (kv < k)
            {
                for (var j = 0; j < 8; j++)
                {
                    var t = 0f;
                    var wj = w + ((nint)j * ldb);
                    for (var p = kv; p < k; p++)
                    {
                        t += x[p] * wj[p];
                    }
                    tail[j] = t;
                }
                sums += Vector256.Load(tail);
            }
            var dst = c + j0;
            (beta == 0 ? sums * va : (sums * va) + (Vector256.Load(dst) * vb)).Store(dst);
        }
        for (; j0 < n; j0++)
        {
            var wj = b + ((nint)j0 * ldb);
            var t = 0f;
            for (var p = 0; p < k; p++)
            {
                t += x[p] * wj[p];
            }
            c[j0] = beta == 0 ? alpha * t : (alpha * t) + (beta * c[j0]);
        }
    }

    /// <summary>A float vector folded to eight lanes (a 512-bit vector's halves added; a 256-bit vector as is).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Half<TV>(TV v)
        where TV : struct
    {
        if (typeof(TV) == typeof(Vector512<T>))
        {
            var w = Unsafe.As<TV, Vector512<float>>(ref v);
            return w.GetLower() + w.GetUpper();
        }
        return Unsafe.As<TV, Vector256<float>>(ref v);
    }

    /// <summary>The eight horizontal sums of eight vectors, in one vector: three rounds of pairwise adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Reduce8(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3,
        Vector256<float> s4, Vector256<float> s5, Vector256<float> s6, Vector256<float> s7)
    {
        var t01 = Avx.HorizontalAdd(s0, s1);
        var t23 = Avx.HorizontalAdd(s2, s3);
        var t45 = Avx.HorizontalAdd(s4, s5);
        var t67 = Avx.HorizontalAdd(s6, s7);
        var u0 = Avx.HorizontalAdd(t01, t23); // [s0 s1 s2 s3 | s0 s1 s2 s3] partial sums of each 128-bit half
        var u1 = Avx.HorizontalAdd(t45, t67);
        return Avx.Permute2x128(u0, u1, 0x20) + Avx.Permute2x128(u0, u1, 0x31);
    }

    /// <summary><paramref name="rows"/> (1, 2 or 4) rows of C as dot products, four columns at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotRows<TS, TV>(int rows, int k, int n, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var lanes = TS.Count;
        var kv = k - (k % lanes);
        var a0 = a;
        var a1 = rows > 1 ? a + lda : a;
        var a2 = rows > 2 ? a + (2 * (nint)lda) : a;
        var a3 = rows > 2 ? a + (3 * (nint)lda) : a;
        var sums = stackalloc T[16];
        for (var j0 = 0; j0 < n; j0 += 4)
        {
            var cols = Math.Min(4, n - j0);
            var b0 = b + ((nint)j0 * ldb);
            var b1 = cols > 1 ? b0 + ldb : b0;
            var b2 = cols > 2 ? b0 + (2 * (nint)ldb) : b0;
            var b3 = cols > 3 ? b0 + (3 * (nint)ldb) : b0;
            TV s00 = TS.Zero, s01 = TS.Zero, s02 = TS.Zero, s03 = TS.Zero;
            TV s10 = TS.Zero, s11 = TS.Zero, s12 = TS.Zero, s13 = TS.Zero;
            TV s20 = TS.Zero, s21 = TS.Zero, s22 = TS.Zero, s23 = TS.Zero;
            TV s30 = TS.Zero, s31 = TS.Zero, s32 = TS.Zero, s33 = TS.Zero;
            for (var p = 0; p < kv; p += lanes)
            {
                var w0 = TS.Load(b0 + p);
                var w1 = TS.Load(b1 + p);
                var w2 = TS.Load(b2 + p);
                var w3 = TS.Load(b3 + p);
                var x = TS.Load(a0 + p);
                s00 = TS.Fma(x, w0, s00);
                s01 = TS.Fma(x, w1, s01);
                s02 = TS.Fma(x, w2, s02);
                s03 = TS.Fma(x, w3, s03);
                if (rows > 1)
                {
                    x = TS.Load(a1 + p);
                    s10 = TS.Fma(x, w0, s10);
                    s11 = TS.Fma(x, w1, s11);
                    s12 = TS.Fma(x, w2, s12);
                    s13 = TS.Fma(x, w3, s13);
                }
                if (rows > 2)
                {
                    x = TS.Load(a2 + p);
                    s20 = TS.Fma(x, w0, s20);
                    s21 = TS.Fma(x, w1, s21);
                    s22 = TS.Fma(x, w2, s22);
                    s23 = TS.Fma(x, w3, s23);
                    x = TS.Load(a3 + p);
                    s30 = TS.Fma(x, w0, s30);
                    s31 = TS.Fma(x, w1, s31);
                    s32 = TS.Fma(x, w2, s32);
                    s33 = TS.Fma(x, w3, s33);
                }
            }
            sums[0] = TS.Sum(s00);
            sums[1] = TS.Sum(s01);
            sums[2] = TS.Sum(s02);
            sums[3] = TS.Sum(s03);
            if (rows > 1)
            {
                sums[4] = TS.Sum(s10);
                sums[5] = TS.Sum(s11);
                sums[6] = TS.Sum(s12);
                sums[7] = TS.Sum(s13);
            }
            if (rows > 2)
            {
                sums[8] = TS.Sum(s20);
                sums[9] = TS.Sum(s21);
                sums[10] = TS.Sum(s22);
                sums[11] = TS.Sum(s23);
                sums[12] = TS.Sum(s30);
                sums[13] = TS.Sum(s31);
                sums[14] = TS.Sum(s32);
                sums[15] = TS.Sum(s33);
            }
            for (var i = 0; i < rows; i++)
            {
                var ai = a + ((nint)i * lda);
                for (var j = 0; j < cols; j++)
                {
                    var bj = b0 + ((nint)j * ldb);
                    var s = sums[(i * 4) + j];
                    for (var p = kv; p < k; p++)
                    {
                        s += ai[p] * bj[p];
                    }
                    StoreScalar(c + ((nint)i * ldc) + j0 + j, s, alpha, beta);
                }
            }
        }
    }

    /// <summary>
    /// Small m with B stored <c>(k × n)</c>: each row of C accumulates rows of B scaled by broadcast
    /// elements of op(A), four vectors of columns at a time, so B streams once in memory order.
    /// </summary>
    private static void SmallMNoTransB<TS, TV>(bool transA, int m, int n, int k, T alpha,
        T* a, int lda, T* b, int ldb, T beta, T* c, int ldc)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        // op(A)[i, p] = a[i * rowStride + p * colStride]
        nint rowStride = transA ? 1 : lda;
        nint colStride = transA ? lda : 1;
        var i0 = 0;
        for (; i0 + 4 <= m; i0 += 4)
        {
            AxpyRows<TS, TV>(4, k, n, alpha, a + (i0 * rowStride), rowStride, colStride, b, ldb, beta, c + ((nint)i0 * ldc), ldc);
        }
        if (m - i0 >= 2)
        {
            AxpyRows<TS, TV>(2, k, n, alpha, a + (i0 * rowStride), rowStride, colStride, b, ldb, beta, c + ((nint)i0 * ldc), ldc);
            i0 += 2;
        }
        if (m - i0 == 1)
        {
            AxpyRows<TS, TV>(1, k, n, alpha, a + (i0 * rowStride), rowStride, colStride, b, ldb, beta, c + ((nint)i0 * ldc), ldc);
        }
    }

    /// <summary><paramref name="rows"/> (1, 2 or 4) rows of C as sums of scaled rows of B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRows<TS, TV>(int rows, int k, int n, T alpha, T* a, nint rowStride, nint colStride,
        T* b, int ldb, T beta, T* c, int ldc)
        where TS : ISimdOps<T, TV>
        where TV : struct
    {
        var lanes = TS.Count;
        var a0 = a;
        var a1 = rows > 1 ? a + rowStride : a;
        var a2 = rows > 2 ? a + (2 * rowStride) : a;
        var a3 = rows > 2 ? a + (3 * rowStride) : a;
        var va = TS.Broadcast(alpha);
        var vb = TS.Broadcast(beta);
        var readC = !T.IsZero(beta);
        var j0 = 0;
        for (; j0 + (2 * lanes) <= n; j0 += 2 * lanes)
        {
            TV s00 = TS.Zero, s01 = TS.Zero, s10 = TS.Zero, s11 = TS.Zero;
            TV s20 = TS.Zero, s21 = TS.Zero, s30 = TS.Zero, s31 = TS.Zero;
            var bp = b + j0;
            nint ap = 0;
            for (var p = 0; p < k; p++, bp += ldb, ap += colStride)
            {
                var w0 = TS.Load(bp);
                var w1 = TS.Load(bp + lanes);
                var x = TS.Broadcast(a0[ap]);
                s00 = TS.Fma(x, w0, s00);
                s01 = TS.Fma(x, w1, s01);
                if (rows > 1)
                {
                    x = TS.Broadcast(a1[ap]);
                    s10 = TS.Fma(x, w0, s10);
                    s11 = TS.Fma(x, w1, s11);
                }
                if (rows > 2)
                {
                    x = TS.Broadcast(a2[ap]);
                    s20 = TS.Fma(x, w0, s20);
                    s21 = TS.Fma(x, w1, s21);
                    x = TS.Broadcast(a3[ap]);
                    s30 = TS.Fma(x, w0, s30);
                    s31 = TS.Fma(x, w1, s31);
                }
            }
            StoreRow2<TS, TV>(c + j0, s00, s01, va, vb, readC);
            if (rows > 1)
            {
                StoreRow2<TS, TV>(c + ldc + j0, s10, s11, va, vb, readC);
            }
            if (rows > 2)
            {
                StoreRow2<TS, TV>(c + (2 * (nint)ldc) + j0, s20, s21, va, vb, readC);
                StoreRow2<TS, TV>(c + (3 * (nint)ldc) + j0, s30, s31, va, vb, readC);
            }
        }
        // Remaining columns (fewer than two vectors): plain dot products down the columns of B.
        for (; j0 < n; j0++)
        {
            for (var i = 0; i < rows; i++)
            {
                var ai = a + (i * rowStride);
                var s = T.Zero;
                for (var p = 0; p < k; p++)
                {
                    s += ai[p * colStride] * b[((nint)p * ldb) + j0];
                }
                StoreScalar(c + ((nint)i * ldc) + j0, s, alpha, beta);
            }
        }
    }
}
