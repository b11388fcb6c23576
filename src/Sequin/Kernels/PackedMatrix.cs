using System.Numerics;
using System.Runtime.Intrinsics;

namespace Sequin.Kernels;

/// <summary>
/// The right-hand operand <c>op(B)</c> <c>(k × n)</c> of many GEMMs, packed once into the panel layout of the packed
/// GEMM path. A recurrent layer multiplies by the same W_hh at every time step: packing it once per call instead of
/// once per step removes a full copy of the weights from every step.
/// </summary>
/// <remarks>
/// Layout: for each block of <c>Nc</c> columns starting at <c>jc</c> and each block of <c>Kc</c> depth starting at
/// <c>pc</c>, the block's panels start at <c>jc·k + pc·round_up(ncur, nr)</c>; panel q holds, for each depth p,
/// <c>nr</c> consecutive values of op(B). The storage is a pinned array from <see cref="BufferPool{T}.Pinned"/>, used from a
/// 64-byte boundary so every vector load of a panel stays inside one cache line (an unaligned panel was measured to
/// make the micro-kernel up to 2× slower), and returned by <see cref="Dispose"/>.
/// </remarks>
internal sealed unsafe class PackedMatrix<T> : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Elements of op(B) from which even a one-row product is split across threads.</summary>
    private const long LargeOperand = 1L << 19;

    private T[]? data;

    private PackedMatrix(SimdLevel isa, int k, int n, int kc, int nc, int nr, T[] data)
    {
        Isa = isa;
        K = k;
        N = n;
        Kc = kc;
        Nc = nc;
        Nr = nr;
        this.data = data;
    }

    /// <summary>The instruction set whose micro-kernel the panels were laid out for.</summary>
    public SimdLevel Isa { get; }

    /// <summary>Depth (rows of op(B)).</summary>
    public int K { get; }

    /// <summary>Columns of op(B).</summary>
    public int N { get; }

    private int Kc { get; }

    private int Nc { get; }

    private int Nr { get; }

    /// <summary>
    /// Packs op(B): B stored <c>(k × n)</c> with row stride <paramref name="ldb"/>, or <c>(n × k)</c> when
    /// <paramref name="transB"/> (the layout of a weight matrix used as <c>x · Wᵀ</c>).
    /// </summary>
    public static PackedMatrix<T> Pack(bool transB, int k, int n, ReadOnlySpan<T> b, int ldb)
    {
        var isa = Simd.Current;
        var nr = 2 * GemmDriver<T>.Lanes(isa);
        var kc = GemmDriver<T>.KC;
        var nc = GemmDriver<T>.NC;
        var padded = (n + nr - 1) / nr * nr;
        var data = BufferPool<T>.Pinned.Rent((k * padded) + (64 / sizeof(T)));
        fixed (T* pb = b)
        {
            var pd = Aligned(data);
            for (var jc = 0; jc < n; jc += nc)
            {
                var ncur = Math.Min(nc, n - jc);
                var ncurPadded = (ncur + nr - 1) / nr * nr;
                for (var pc = 0; pc < k; pc += kc)
                {
                    var kcur = Math.Min(kc, k - pc);
                    var block = pd + ((nint)jc * k) + ((nint)pc * ncurPadded);
                    switch (isa)
                    {
                        case SimdLevel.Avx512:
                            GemmDriver<T>.PackB<Ops512<T>, Vector512<T>>(transB, pb, ldb, pc, jc, kcur, ncur, block);
                            break;
                        case SimdLevel.Avx2:
                            GemmDriver<T>.PackB<Ops256<T>, Vector256<T>>(transB, pb, ldb, pc, jc, kcur, ncur, block);
                            break;
                        default:
                            GemmDriver<T>.PackB<OpsScalar<T>, T>(transB, pb, ldb, pc, jc, kcur, ncur, block);
                            break;
                    }
                }
            }
        }
        return new PackedMatrix<T>(isa, k, n, kc, nc, nr, data);
    }

    /// <summary>
    /// <c>C = alpha · A · op(B) + beta · C</c> for A <c>(m × k)</c> with row stride <paramref name="lda"/> and
    /// C <c>(m × n)</c> with row stride <paramref name="ldc"/>; split across threads when the product is large.
    /// <paramref name="reverse"/> (one row only) walks the panels from the last to the first: a loop that alternates it
    /// finds the panels it read last still in cache (measured 7–10% faster per step at W_hh = 4 MB). The numbers do
    /// not depend on it.
    /// </summary>
    public void Multiply(int m, T alpha, ReadOnlySpan<T> a, int lda, T beta, Span<T> c, int ldc, bool reverse = false)
    {
        var threads = Parallelism.MaxThreads;
        var work = (long)m * N * K;
        // Split when the arithmetic is large, or when B alone is large enough (≥ 2 MB in float) that one core's
        // cache bandwidth limits the product: a one-row step through a 1536 × 512 W_hh ran 1.5× faster on two threads.
        if (m == 0 || threads <= 1 || (work < GemmDriver<T>.ParallelThreshold && (long)N * K < LargeOperand))
        {
            MultiplyOnThisThread(m, alpha, a, lda, beta, c, ldc, reverse);
            return;
        }
        Check(m, a.Length, lda, c.Length, ldc);
        var mr = GemmDriver<T>.TileRows(Isa);
        var rowTiles = (m + mr - 1) / mr;
        var colTiles = (N + Nr - 1) / Nr;
        var splitM = rowTiles >= colTiles;
        var units = splitM ? rowTiles : colTiles;
        var parts = Math.Min(threads, units);
        var chunk = (units + parts - 1) / parts * (splitM ? mr : Nr);
        var dim = splitM ? m : N;
        parts = (dim + chunk - 1) / chunk;
        fixed (T* pa = a, pc = c)
        {
            var job = t_job ?? new Job();
            t_job = null;
            job.Set(this, m, alpha, pa, lda, beta, pc, ldc, splitM, chunk, reverse);
            try
            {
                WorkerPool.Run(job, parts);
            }
            finally
            {
                job.Set(null, 0, T.Zero, null, 0, T.Zero, null, 0, false, 0, false);
                t_job = job;
            }
        }
    }

    /// <summary>
    /// <see cref="Multiply"/> on the calling thread only, whatever the size: for callers that already run one part of
    /// a split per thread (a split inside one would run inline, in pieces, and lose the panel order).
    /// </summary>
    internal void MultiplyOnThisThread(int m, T alpha, ReadOnlySpan<T> a, int lda, T beta, Span<T> c, int ldc, bool reverse = false)
    {
        if (m == 0)
        {
            return;
        }
        Check(m, a.Length, lda, c.Length, ldc);
        fixed (T* pa = a, pc = c)
        {
            Run(m, 0, N, alpha, pa, lda, beta, pc, ldc, reverse);
        }
    }

    /// <summary>
    /// A one-row <see cref="MultiplyOnThisThread"/> (<c>c = alpha · a · op(B) + beta · c</c>, the same numbers) that
    /// advances <paramref name="tiles"/>, a product against <paramref name="second"/> (see <see cref="TileStream{T}"/>),
    /// while it streams this matrix. The caller sets the stream's pointers for the call; <see cref="TileStream{T}.B"/>
    /// and the packed geometry come from <paramref name="second"/>. Only AVX-512 has the registers; other instruction
    /// sets run the product alone and leave the stream as it was.
    /// </summary>
    internal void MultiplyRowWithTiles(T alpha, ReadOnlySpan<T> a, T beta, Span<T> c, bool reverse, PackedMatrix<T> second, ref TileStream<T> tiles)
    {
        Check(1, a.Length, K, c.Length, N);
        var d = data ?? throw new ObjectDisposedException(nameof(PackedMatrix<T>));
        var d2 = second.data ?? throw new ObjectDisposedException(nameof(PackedMatrix<T>));
        if (Isa != SimdLevel.Avx512 || second.Isa != SimdLevel.Avx512 || tiles.K != second.K || tiles.N != second.N)
        {
            MultiplyOnThisThread(1, alpha, a, K, beta, c, N, reverse);
            return;
        }
        tiles.B = Aligned(d2);
        tiles.Kc = second.Kc;
        tiles.Nc = second.Nc;
        fixed (T* pa = a, pc = c)
        {
            GemmDriver<T>.PrepackedGemvWithTiles<Ops512<T>, Vector512<T>>(0, N, alpha, pa, Aligned(d), K, N, Kc, Nc, beta, pc, reverse, ref tiles);
        }
    }

    /// <summary>
    /// <see cref="MultiplyOnThisThread"/> for the columns <c>[j0, j1)</c> of C only (<paramref name="j0"/> a multiple of
    /// the panel width, two vectors): what a <see cref="TileStream{T}"/> left undone.
    /// </summary>
    internal void MultiplyColumnsOnThisThread(int m, int j0, int j1, T alpha, ReadOnlySpan<T> a, int lda, T beta, Span<T> c, int ldc)
    {
        if (m == 0 || j0 >= j1)
        {
            return;
        }
        if (j0 % Nr != 0 || j1 > N)
        {
            throw new ArgumentOutOfRangeException(nameof(j0), $"PackedMatrix: columns [{j0}, {j1}) must start on a panel (a multiple of {Nr}) and end by {N}.");
        }
        Check(m, a.Length, lda, c.Length, ldc);
        fixed (T* pa = a, pc = c)
        {
            Run(m, j0, j1, alpha, pa, lda, beta, pc, ldc, false);
        }
    }

    /// <summary>Columns in one packed panel (two vectors of the instruction set the matrix was packed for).</summary>
    internal int PanelWidth => Nr;

    /// <summary>Single-threaded <see cref="Multiply"/> restricted to the columns <c>[j0, j1)</c> of C (j0 a multiple of the panel width).</summary>
    private void Run(int m, int j0, int j1, T alpha, T* a, int lda, T beta, T* c, int ldc, bool reverse)
    {
        var d = data ?? throw new ObjectDisposedException(nameof(PackedMatrix<T>));
        var pre = Aligned(d);
        switch (Isa)
        {
            case SimdLevel.Avx512:
                GemmDriver<T>.RunPrepacked<Ops512<T>, Vector512<T>>(m, j0, j1, alpha, a, lda, pre, K, N, Kc, Nc, beta, c, ldc, reverse);
                break;
            case SimdLevel.Avx2:
                GemmDriver<T>.RunPrepacked<Ops256<T>, Vector256<T>>(m, j0, j1, alpha, a, lda, pre, K, N, Kc, Nc, beta, c, ldc, reverse);
                break;
            default:
                GemmDriver<T>.RunPrepacked<OpsScalar<T>, T>(m, j0, j1, alpha, a, lda, pre, K, N, Kc, Nc, beta, c, ldc, reverse);
                break;
        }
    }

    private void Check(int m, int aLength, int lda, int cLength, int ldc)
    {
        if (lda < K || ldc < N || aLength < ((long)(m - 1) * lda) + K || cLength < ((long)(m - 1) * ldc) + N)
        {
            throw new ArgumentException(
                $"PackedMatrix.Multiply: A must be ({m} × {K}) with row stride ≥ {K} and C ({m} × {N}) with row stride ≥ {N}; " +
                $"got lda={lda}, ldc={ldc}, |A|={aLength}, |C|={cLength}.");
        }
    }

    /// <summary>The first 64-byte boundary inside a pinned array.</summary>
    private static T* Aligned(T[] pinned)
    {
        var p = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(pinned));
        return (T*)((p + 63) & ~(nint)63);
    }

    /// <summary>Returns the packed storage to the pool; the object must not be used afterwards.</summary>
    public void Dispose()
    {
        if (data is { } d)
        {
            data = null;
            BufferPool<T>.Pinned.Return(d);
        }
    }

    [ThreadStatic] private static Job? t_job;

    /// <summary>A product split into row ranges (multiples of the micro-tile height) or column ranges (multiples of the panel width).</summary>
    private sealed class Job : PoolWork
    {
        private PackedMatrix<T>? owner;
        private int m, lda, ldc, chunk;
        private bool splitM, reverse;
        private T alpha, beta;
        private T* a, c;

        public void Set(PackedMatrix<T>? owner, int m, T alpha, T* a, int lda, T beta, T* c, int ldc, bool splitM, int chunk, bool reverse)
        {
            this.owner = owner;
            this.m = m;
            this.alpha = alpha;
            this.a = a;
            this.lda = lda;
            this.beta = beta;
            this.c = c;
            this.ldc = ldc;
            this.splitM = splitM;
            this.chunk = chunk;
            this.reverse = reverse;
        }

        public override void Execute(int part)
        {
            var o = owner!;
            var start = part * chunk;
            if (splitM)
            {
                var rows = Math.Min(chunk, m - start);
                if (rows > 0)
                {
                    o.Run(rows, 0, o.N, alpha, a + ((nint)start * lda), lda, beta, c + ((nint)start * ldc), ldc, reverse);
                }
            }
            else if (start < o.N)
            {
                o.Run(m, start, Math.Min(o.N, start + chunk), alpha, a, lda, beta, c, ldc, reverse);
            }
        }
    }
}
