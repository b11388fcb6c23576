namespace Sequin.Kernels;

/// <summary>
/// A small cache of large arrays, handed out again instead of allocated fresh. On Linux a freshly allocated large
/// array costs a page fault per 4 KB page the first time it is written (about 5 µs each on this project's VM): for the
/// 150 MB of activations an LSTM 512 saves at T = 100, B = 64 that was most of the training forward's time.
/// Unlike <see cref="System.Buffers.ArrayPool{T}.Shared"/> it matches sizes exactly enough not to double the
/// memory of a 50 MB buffer, and any thread may give back what another rented (a finalizer does).
/// </summary>
/// <remarks>
/// <see cref="Rent"/> hands out the smallest cached array that fits and is at most 25% larger than asked; a rented
/// array's contents are undefined. The cache holds at most <c>maxArrays</c> arrays and <c>maxBytes</c> bytes and drops
/// the smallest arrays beyond that (the GC then collects them).
/// </remarks>
internal sealed class BufferPool<T>
    where T : unmanaged
{
    private readonly Lock gate = new();
    private readonly List<T[]> free = [];
    private readonly bool pinned;
    private readonly int maxArrays;
    private readonly long maxBytes;
    private long bytes;

    private BufferPool(bool pinned, int maxArrays, long maxBytes)
    {
        this.pinned = pinned;
        this.maxArrays = maxArrays;
        this.maxBytes = maxBytes;
    }

    /// <summary>
    /// Pinned arrays (never moved by the GC) for packed weights, whose kernels need a fixed 64-byte alignment. The pool
    /// keeps up to 64 arrays: with 16, an earlier unit split (2 · gates packed blocks per thread per call) overflowed it
    /// at every call, the dropped pinned arrays piled up until full collections, and in the compare benchmark the rows
    /// after it ran up to 8× slower (tiny model 0.04 → 0.31 ms). Several layers, directions and threads still pack
    /// a few matrices each per call.
    /// </summary>
    public static BufferPool<T> Pinned { get; } = new(pinned: true, maxArrays: 64, maxBytes: 256L << 20);

    /// <summary>
    /// Large scratch and saved-activation buffers of the recurrent layers. Allocated on the pinned object heap: they
    /// live as long as the pool keeps them, so they belong with long-lived memory, and a host that raises
    /// <c>System.GC.LOHThreshold</c> (as the benchmark and CLI do) would otherwise hold 50 MB of them in gen 0 (the
    /// segments GC ran out of memory there at a 128 MB threshold).
    /// </summary>
    public static BufferPool<T> Large { get; } = new(pinned: true, maxArrays: 32, maxBytes: 1L << 30);

    private static long SizeOf(T[] a) => (long)a.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>An array of at least <paramref name="length"/> elements (contents undefined).</summary>
    public T[] Rent(int length)
    {
        lock (gate)
        {
            var best = -1;
            for (var i = 0; i < free.Count; i++)
            {
                var n = free[i].Length;
                if (n >= length && n - length <= length / 4 && (best < 0 || n < free[best].Length))
                {
                    best = i;
                }
            }
            if (best >= 0)
            {
                var a = free[best];
                free.RemoveAt(best);
                bytes -= SizeOf(a);
                return a;
            }
        }
        return GC.AllocateUninitializedArray<T>(Math.Max(1, length), pinned);
    }

    /// <summary>Gives an array back; it must not be used afterwards.</summary>
    public void Return(T[] array)
    {
        lock (gate)
        {
            free.Add(array);
            bytes += SizeOf(array);
            while (free.Count > 0 && (free.Count > maxArrays || bytes > maxBytes))
            {
                var smallest = 0;
                for (var i = 1; i < free.Count; i++)
                {
                    if (free[i].Length < free[smallest].Length)
                    {
                        smallest = i;
                    }
                }
                bytes -= SizeOf(free[smallest]);
                free.RemoveAt(smallest);
            }
        }
    }
}
