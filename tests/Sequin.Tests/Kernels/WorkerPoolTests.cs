using Sequin.Kernels;

namespace Sequin.Tests.Kernels;

/// <summary>The kernels' persistent thread pool: every part runs exactly once, nesting and concurrent callers degrade to serial, errors surface.</summary>
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
        // Parts beyond Parallelism.MaxThreads are claimed in turn, not given a thread each (tests set at most 4 threads).
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
}
