using Sequin.Kernels;
using Sequin.Tests.Nn;

namespace Sequin.Tests.Kernels;

/// <summary>The kernels' persistent thread pool: every part runs exactly once, nesting and concurrent callers degrade to serial, errors surface.</summary>
[Collection(InferencePathTests.KernelSettings)] // sets Parallelism.MaxThreads, which every kernel call reads
public class WorkerPoolTests
{
    private sealed class CountingWork(int parts) : PoolWork
    {
        public int[] Hits { get; } = new int[parts];

        public override void Execute(int part) => Interlocked.Increment(ref Hits[part]);
    }

    [Fact]
    public void ManyJobsInARow_RunEveryPartExactlyOnce()
    {
        for (var job = 0; job < 5000; job++)
        {
            var parts = 1 + (job % 7);
            var work = new CountingWork(parts);
            WorkerPool.Run(work, parts);
            Assert.All(work.Hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void PartCountsBeyondTheClaimSlots_RunEveryPartExactlyOnce()
    {
        // The per-part claim slots start small and grow while workers may still be spinning on older jobs.
        for (var job = 0; job < 2000; job++)
        {
            var parts = job % 40 == 39 ? 9 + (job % 300) : 1 + (job % 5);
            var work = new CountingWork(parts);
            WorkerPool.Run(work, parts);
            Assert.All(work.Hits, h => Assert.Equal(1, h));
        }
        // Parts beyond Parallelism.MaxThreads are claimed in turn, not given a thread each (tests set at most 9 threads, so at most 8 workers).
        Assert.True(WorkerPool.Workers < 16, $"{WorkerPool.Workers} workers started for jobs of up to 308 parts");
    }

    [Fact]
    public void SeveralParts_WithOneThreadAllowed_RunOnTheCaller()
    {
        // A caller may ask for parts after MaxThreads was set to 1 (another thread changed it): no worker is woken.
        var saved = Parallelism.MaxThreads;
        try
        {
            var work = new CountingWork(4);
            WorkerPool.Run(work, 4); // let the workers exist and go to sleep
            Thread.Sleep(5);
            Parallelism.MaxThreads = 1;
            work = new CountingWork(4);
            WorkerPool.Run(work, 4);
            Assert.All(work.Hits, h => Assert.Equal(1, h));
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    private sealed class NestedWork : PoolWork
    {
        public int Inner;

        public override void Execute(int part)
        {
            var inner = new CountingWork(3);
            WorkerPool.Run(inner, 3); // the pool is busy: runs inline on this thread
            Interlocked.Add(ref Inner, inner.Hits.Sum());
        }
    }

    [Fact]
    public void NestedRun_RunsInline_AndCompletes()
    {
        var work = new NestedWork();
        WorkerPool.Run(work, 4);
        Assert.Equal(12, work.Inner);
    }

    [Fact]
    public void ConcurrentCallers_AllComplete()
    {
        var total = 0;
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 200; i++)
            {
                var work = new CountingWork(4);
                WorkerPool.Run(work, 4);
                Interlocked.Add(ref total, work.Hits.Sum());
            }
        });
        Assert.Equal(8 * 200 * 4, total);
    }

    private sealed class ThrowingWork : PoolWork
    {
        public override void Execute(int part)
        {
            if (part == 2)
            {
                throw new InvalidOperationException("part 2 failed");
            }
        }
    }

    [Fact]
    public void ExceptionInAPart_IsRethrownToTheCaller_AndThePoolStaysUsable()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(new ThrowingWork(), 4));
        Assert.Equal("part 2 failed", ex.Message);
        var work = new CountingWork(3);
        WorkerPool.Run(work, 3);
        Assert.All(work.Hits, h => Assert.Equal(1, h));
    }

    /// <summary>
    /// Roles go by thread, not by part number (the caller claims parts too, and may claim part 1 first or run both
    /// when the worker is late): a part run on another thread records that thread and its CPU set; the caller's first
    /// part waits up to 200 ms for it, so that a worker woken late still gets a part.
    /// </summary>
    private sealed class AffinityProbeWork(int callerThread) : PoolWork
    {
        private int _done;
        private int _callerParts;

        public int? OtherThread { get; private set; }

        public ulong[]? OtherAffinity { get; private set; }

        public override void Execute(int part)
        {
            if (Environment.CurrentManagedThreadId != callerThread)
            {
                OtherAffinity = WakePlacement.CurrentAffinity(0);
                OtherThread = Environment.CurrentManagedThreadId;
                Volatile.Write(ref _done, 1);
                return;
            }
            if (Interlocked.Increment(ref _callerParts) > 1)
            {
                return;
            }
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref _done) == 0 && sw.ElapsedMilliseconds < 200)
            {
                Thread.SpinWait(20);
            }
        }
    }

    [Fact]
    public void AWorkerWokenFromSleep_IsSteered_AndRunsItsPartWithItsOwnCpuSetBack()
    {
        var home = WakePlacement.CurrentAffinity(0);
        if (home is null)
        {
            Assert.False(OperatingSystem.IsLinux(), "wake placement turned itself off on Linux: a libc call failed");
            return;
        }
        var cpus = home.Sum(w => System.Numerics.BitOperations.PopCount(w));
        var saved = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = 2;
            WorkerPool.Run(new CountingWork(2), 2); // a worker exists
            AffinityProbeWork? found = null;
            var steeredAny = false;
            // Other test classes use the pool at the same time: a job may find the pool taken (then the caller runs
            // every part) or the worker awake. Retry until a job of ours steered a wake-up and a worker ran a part.
            for (var attempt = 0; attempt < 50 && found is null; attempt++)
            {
                Thread.Sleep(10); // past the worker's 200 µs spin: it blocks
                var probe = new AffinityProbeWork(Environment.CurrentManagedThreadId);
                var before = WakePlacement.SteeredWakeups;
                WorkerPool.Run(probe, 2);
                var steered = WakePlacement.SteeredWakeups > before;
                steeredAny |= steered;
                if (steered && probe.OtherThread is not null)
                {
                    found = probe;
                }
            }
            if (cpus < 2)
            {
                // Only the caller's CPU: steering would leave the worker nowhere to run, so it is never done.
                Assert.False(steeredAny);
                return;
            }
            Assert.True(found is not null, $"in 50 jobs after 10 ms idle, none both steered a wake-up and had a worker run a part (steered: {steeredAny})");
            // The worker that ran the part had restored its own CPU set (the process's, as this thread's) before it ran.
            Assert.Equal(home, found.OtherAffinity);
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    [Fact]
    public void Without_RemovesOneCpu_AndRefusesToLeaveNone()
    {
        var home = new ulong[WakePlacement.MaskWords];
        home[0] = 0b1011;
        home[2] = 1UL << 63; // CPU 191
        var result = new ulong[WakePlacement.MaskWords];
        Assert.True(WakePlacement.Without(home, 1, result));
        Assert.Equal(0b1001UL, result[0]);
        Assert.Equal(1UL << 63, result[2]);
        Assert.Equal(0b1011UL, home[0]);
        Assert.True(WakePlacement.Without(home, 191, result));
        Assert.Equal(0UL, result[2]);
        Assert.True(WakePlacement.Without(home, 2, result)); // a CPU outside the set changes nothing
        Assert.Equal(home, result);
        var single = new ulong[WakePlacement.MaskWords];
        single[1] = 1UL << 5; // CPU 69 alone
        Assert.False(WakePlacement.Without(single, 69, result));
    }
}
