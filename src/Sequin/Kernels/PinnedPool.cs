namespace Sequin.Kernels;

/// <summary>
/// A small pool of pinned (never moved by the GC) arrays for packed weights, whose kernels need a fixed 64-byte
/// alignment. Keeps at most <see cref="MaxArrays"/> arrays; <see cref="Rent"/> hands out the smallest that fits.
/// </summary>
internal static class PinnedPool<T>
    where T : unmanaged
{
    private const int MaxArrays = 16;
    private static readonly Lock Gate = new();
    private static readonly List<T[]> Free = [];

    /// <summary>A pinned array of at least <paramref name="length"/> elements (contents undefined).</summary>
    public static T[] Rent(int length)
    {
        lock (Gate)
        {
            var best = -1;
            for (var i = 0; i < Free.Count; i++)
            {
                if (Free[i].Length >= length && (best < 0 || Free[i].Length < Free[best].Length))
                {
                    best = i;
                }
            }
            if (best >= 0)
            {
                var a = Free[best];
                Free.RemoveAt(best);
                return a;
            }
        }
        return GC.AllocateUninitializedArray<T>(Math.Max(1, length), pinned: true);
    }

    /// <summary>Gives an array back; when the pool is full the smallest array is dropped.</summary>
    public static void Return(T[] array)
    {
        lock (Gate)
        {
            Free.Add(array);
            if (Free.Count > MaxArrays)
            {
                var smallest = 0;
                for (var i = 1; i < Free.Count; i++)
                {
                    if (Free[i].Length < Free[smallest].Length)
                    {
                        smallest = i;
                    }
                }
                Free.RemoveAt(smallest);
            }
        }
    }
}
