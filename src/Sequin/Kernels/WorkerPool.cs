using System.Diagnostics;

namespace Sequin.Kernels;

/// <summary>A piece of work split into numbered parts that <see cref="WorkerPool"/> runs concurrently.</summary>
internal abstract class PoolWork
{
    /// <summary>Runs part <paramref name="part"/> (0-based). Parts must be independent of each other.</summary>
    public abstract void Execute(int part);
}

/// <summary>Adapts a delegate to the worker pool (one allocation per parallel call, none per part).</summary>
internal sealed class ActionWork(Action<int> action) : PoolWork
{
    public override void Execute(int part) => action(part);
}

/// <summary>
/// A small persistent thread pool for the kernels: the calling thread runs parts too, and the workers spin for a
/// short while after each job before they block, so a loop that issues one parallel job per time step pays about a
/// microsecond per job instead of the tens of microseconds of waking <see cref="Parallel"/>'s threads.
/// </summary>
/// <remarks>
/// One job runs at a time. A call made while a job is running (from another thread, or nested inside a part, including a part that runs on the caller) runs
/// all its parts on the calling thread, so nested parallelism degrades to serial code instead of deadlocking.
/// Parts have affinity: the caller starts with part 0 and worker <c>w</c> with part <c>w</c>, so a loop that
/// issues the same split at every step (a one-row product over the columns of W_hh) finds each range of the weights
/// in the cache of the core that read it last; a participant that finishes early takes the parts nobody has claimed.
/// Nothing is allocated per job: the job's generation and part count live in one 64-bit word, and each part is
/// claimed by a compare-and-swap that raises its slot to the job's generation. Slots only grow, so a worker that
/// wakes late (holding an older generation) finds every part of its job already claimed and can never run a part of
/// a newer job under an older job's description.
/// On Linux, a worker woken from its blocked state is steered off the caller's CPU (<see cref="WakePlacement"/>): on a
/// virtual machine the kernel otherwise queued it behind the caller, and a short job ran on one thread.
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

    // generation (high 32 bits) | parts (bits 0..31)
    private static long s_state;

    // s_claims[p] = the newest generation whose part p has been claimed (grown by the caller, old values copied).
    private static long[] s_claims = new long[8];

    // s_slots[w − 1] = worker w's placement state (see WakePlacement), grown under GrowLock.
    private static WakePlacement.Slot?[] s_slots = new WakePlacement.Slot?[4];

    /// <summary>Number of worker threads started so far (the caller is not counted).</summary>
    internal static int Workers => Volatile.Read(ref s_workers);

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over contiguous ranges that cover <c>[0, count)</c>: one range per
    /// thread (up to <see cref="Parallelism.MaxThreads"/>), each of at least <paramref name="minPerRange"/> items, so
    /// that small inputs stay on the calling thread. Ranges must be independent of each other.
    /// </summary>
    public static void ForRanges(int count, int minPerRange, Action<int, int> body)
    {
        var parts = Math.Clamp(count / Math.Max(1, minPerRange), 1, Parallelism.MaxThreads);
        if (parts == 1)
        {
            body(0, count);
            return;
        }
        Run(new ActionWork(p => body((int)((long)count * p / parts), (int)((long)count * (p + 1) / parts))), parts);
    }

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
            // At most MaxThreads threads take part (the caller included); more parts than that are claimed in turn.
            // One worker per part would oversubscribe the cores with spinning threads: 4 parts on 2 cores ran 2-5x slower.
            var helpers = Math.Min(parts, Parallelism.MaxThreads) - 1;
            EnsureWorkers(helpers);
            if (s_claims.Length < parts)
            {
                // Every older job has finished, so all its slots are final: the copy keeps a late worker from claiming.
                var grown = new long[Math.Max(parts, s_claims.Length * 2)];
                s_claims.CopyTo(grown, 0);
                Volatile.Write(ref s_claims, grown);
            }
            s_work = work;
            s_error = null;
            Volatile.Write(ref s_pending, parts);
            var generation = (s_state >> 32) + 1;
            Interlocked.Exchange(ref s_state, (generation << 32) | (uint)parts);
            // helpers is 0 when MaxThreads was lowered to 1 while a caller still asked for several parts.
            var sleeping = Volatile.Read(ref s_sleeping);
            if (sleeping > 0 && helpers > 0)
            {
                WakePlacement.SteerSleepers(Volatile.Read(ref s_slots));
                Wake.Release(Math.Min(sleeping, helpers));
            }
            Drain(generation, parts, 0);
            WaitForParts();
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

    /// <summary>
    /// Waits until every part has finished: a plain spin first (the other parts of a per-step job end within
    /// microseconds, and <see cref="SpinWait"/> starts yielding to the OS after about ten rounds, each a system call),
    /// then <see cref="SpinWait"/>'s yielding spin for long waits.
    /// </summary>
    private static void WaitForParts()
    {
        var start = Stopwatch.GetTimestamp();
        var spins = 0;
        while (Volatile.Read(ref s_pending) != 0)
        {
            if ((++spins & 63) == 0 && Stopwatch.GetTimestamp() - start > SpinTicks)
            {
                var spin = new SpinWait();
                while (Volatile.Read(ref s_pending) != 0)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
                return;
            }
            Thread.SpinWait(4);
        }
    }

    /// <summary>
    /// Claims and runs the unclaimed parts of job <paramref name="generation"/>, starting from part
    /// <paramref name="self"/> (the participant's own part: 0 for the caller, w for worker w).
    /// </summary>
    private static void Drain(long generation, int parts, int self)
    {
        var claims = Volatile.Read(ref s_claims);
        var p = self % parts;
        for (var k = 0; k < parts; k++, p = p + 1 == parts ? 0 : p + 1)
        {
            var seen = Volatile.Read(ref claims[p]);
            if (seen >= generation || Interlocked.CompareExchange(ref claims[p], generation, seen) != seen)
            {
                continue;
            }
            // The job cannot finish while this claimed part is pending, so s_work is this generation's work.
            try
            {
                s_work!.Execute(p);
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
                var index = s_workers + 1;
                var slot = new WakePlacement.Slot();
                if (s_slots.Length < index)
                {
                    var grown = new WakePlacement.Slot?[s_slots.Length * 2];
                    s_slots.CopyTo(grown, 0);
                    Volatile.Write(ref s_slots, grown);
                }
                s_slots[index - 1] = slot;
                var thread = new Thread(() => WorkerLoop(index, slot))
                {
                    IsBackground = true,
                    Name = $"Sequin worker {s_workers + 1}",
                };
                thread.Start();
                s_workers++;
            }
        }
    }

    /// <summary>Worker threads' slots, for tests (null entries: not started).</summary>
    internal static WakePlacement.Slot?[] Slots => Volatile.Read(ref s_slots);

    private static void WorkerLoop(int self, WakePlacement.Slot slot)
    {
        WakePlacement.Register(slot);
        var seen = Volatile.Read(ref s_state) >> 32;
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            var spins = 0;
            long state, generation;
            while ((generation = (state = Volatile.Read(ref s_state)) >> 32) == seen)
            {
                if ((++spins & 63) == 0 && Stopwatch.GetTimestamp() - start > SpinTicks)
                {
                    // A steered wake-up that raced with the previous job's end leaves the narrowed set until here.
                    WakePlacement.RestoreIfSteered(slot);
                    Volatile.Write(ref slot.Sleeping, 1);
                    Interlocked.Increment(ref s_sleeping);
                    if ((Volatile.Read(ref s_state) >> 32) == seen)
                    {
                        Wake.Wait();
                    }
                    Interlocked.Decrement(ref s_sleeping);
                    Volatile.Write(ref slot.Sleeping, 0);
                    WakePlacement.RestoreIfSteered(slot);
                    start = Stopwatch.GetTimestamp();
                }
                else
                {
                    Thread.SpinWait(8);
                }
            }
            seen = generation;
            Drain(generation, (int)(uint)state, self);
        }
    }
}
