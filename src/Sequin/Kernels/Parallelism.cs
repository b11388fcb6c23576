namespace Sequin.Kernels;

/// <summary>
/// Global threading settings for Sequin's CPU kernels (GEMM and the recurrent layers built on it).
/// </summary>
/// <remarks>
/// Kernels split large products (about a million multiply-adds or more) across up to
/// <see cref="MaxThreads"/> threads; smaller ones run on the calling thread, where the cost of waking
/// other threads would exceed the work.
/// </remarks>
public static class Parallelism
{
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// The largest number of threads one kernel call may use, including the calling thread.
    /// Defaults to <see cref="Environment.ProcessorCount"/>; set 1 to run everything on the calling thread.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value,
                    "Parallelism.MaxThreads must be at least 1 (1 = single-threaded); got " + value + ".");
            }
            s_maxThreads = value;
        }
    }
}
