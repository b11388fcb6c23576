using System.Diagnostics;

namespace Sequin.Kernels;

/// <summary>A piece of work split into numbered parts that <see cref="WorkerPool"/> runs concurrently.</summary>
internal abstract class PoolWork
{
    /// <summary>Runs part <paramref name="part"/> (0-based). Parts must be independent of each other.</summary>
    public abstract void Execute(int part);
}

/// <summary>
/// A small persistent thread pool for the kernels: the calling thread runs parts too, and the workers spin for a
/// short while after each job before they block, so a loop that issues one parallel job per time step pays about a
/// microsecond per job instead of the tens of microseconds of waking <see cref="Parallel"/>'s threads.
/// </summary>
/// <remarks>
/// One job runs at a time. A call made while a job is running (from another thread, or nested inside a part, including a part that runs on the caller) runs
/// all its parts on the calling thread, so nested parallelism degrades to serial code instead of deadlocking.
/// Nothing is allocated per job: the job's identity, part count and next unclaimed part live in one 64-bit word
/// that workers claim from with compare-and-swap, so a worker that wakes late can never run a part of a newer job
/// under an older job's description.
/// </remarks>
internal static class WorkerPool
{
    /// <summary>How long an idle worker spins before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    private static readonly Lock Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static readonly Lock GrowLock = new();
    private static int s_workers;
    private static int s_sleeping;
    private static PoolWork? s_work;
    private static int s_pending;
    private static Exception? s_error;

    // generation (high 32 bits) | parts (bits 16..31) | next unclaimed part (bits 0..15)
    private static long s_state;

    /// <summary>Number of worker threads started so far (the caller is not counted).</summary>
    internal static int Workers => Volatile.Read(ref s_workers);

    /// <summary>
    /// Runs <c>work.Execute(0 .. parts−1)</c>, on up to <paramref name="parts"/> threads including the caller, and
    /// returns when every part has finished. The first exception thrown by a part is rethrown here.
    /// </summary>
    public static void Run(PoolWork work, int parts)
    {
        if (parts <= 1 || Gate.IsHeldByCurrentThread || !Gate.TryEnter())
        {
            for (var p = 0; p < parts; p++)
            {
                work.Execute(p);
            }
            return;
        }
        try
        {
            if (parts > 0xFFFF)
            {
                throw new ArgumentOutOfRangeException(nameof(parts), parts, "WorkerPool: at most 65535 parts per job.");
            }
            EnsureWorkers(parts - 1);
            s_work = work;
            s_error = null;
            Volatile.Write(ref s_pending, parts);
            var generation = (s_state >> 32) + 1;
            Interlocked.Exchange(ref s_state, (generation << 32) | ((long)parts << 16));
            var sleeping = Volatile.Read(ref s_sleeping);
            if (sleeping > 0)
            {
                Wake.Release(Math.Min(sleeping, parts - 1));
            }
            Drain(generation);
            var spin = new SpinWait();
            while (Volatile.Read(ref s_pending) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            s_work = null;
            if (s_error is { } error)
            {
                s_error = null;
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
        }
        finally
        {
            Gate.Exit();
        }
    }

    /// <summary>Claims and runs parts of job <paramref name="generation"/> until none is left.</summary>
    private static void Drain(long generation)
    {
        while (true)
        {
            var state = Volatile.Read(ref s_state);
            var parts = (int)((state >> 16) & 0xFFFF);
            var next = (int)(state & 0xFFFF);
            if ((state >> 32) != generation || next >= parts)
            {
                return;
            }
            if (Interlocked.CompareExchange(ref s_state, state + 1, state) != state)
            {
                continue;
            }
            // The job cannot finish while this claimed part is pending, so s_work is this generation's work.
            try
            {
                s_work!.Execute(next);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref s_error, e, null);
            }
            finally
            {
                Interlocked.Decrement(ref s_pending);
            }
        }
    }

    private static void EnsureWorkers(int wanted)
    {
        if (Volatile.Read(ref s_workers) >= wanted)
        {
            return;
        }
        lock (GrowLock)
        {
            while (s_workers < wanted)
            {
                var thread = new Thread(WorkerLoop)
                {
                    IsBackground = true,
                    Name = $"Sequin worker {s_workers + 1}",
                };
                thread.Start();
                s_workers++;
            }
        }
    }

    private static void WorkerLoop()
    {
        var seen = Volatile.Read(ref s_state) >> 32;
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            var spins = 0;
            long generation;
            while ((generation = Volatile.Read(ref s_state) >> 32) == seen)
            {
                if ((++spins & 63) == 0 && Stopwatch.GetTimestamp() - start > SpinTicks)
                {
                    Interlocked.Increment(ref s_sleeping);
                    if ((Volatile.Read(ref s_state) >> 32) == seen)
                    {
                        Wake.Wait();
                    }
                    Interlocked.Decrement(ref s_sleeping);
                    start = Stopwatch.GetTimestamp();
                }
                else
                {
                    Thread.SpinWait(8);
                }
            }
            seen = generation;
            Drain(generation);
        }
    }
}
