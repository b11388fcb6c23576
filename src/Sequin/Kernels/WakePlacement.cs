using System.Runtime.InteropServices;

namespace Sequin.Kernels;

/// <summary>
/// Linux only: steers the wake-up of a sleeping <see cref="WorkerPool"/> worker away from the CPU of the thread that
/// wakes it, then gives the worker its own CPU set back.
/// </summary>
/// <remarks>
/// <para>
/// Why: on a virtual machine the kernel treats a halted vCPU as unavailable and queues a woken thread on the waker's
/// own CPU. A scheduler trace of the batch-8 LSTM after 50 ms idle showed it in 14 of 16 wake-ups: the worker was
/// queued behind the caller and started 1.0–1.3 ms later, when the caller had finished the whole forward pass alone.
/// With the waker's CPU taken out of the worker's affinity for the wake-up, the kernel has to wake the other vCPU.
/// </para>
/// <para>
/// How: a worker records its thread id and CPU set when it starts. Before waking a sleeping worker, the caller sets
/// the worker's affinity to that set without the caller's current CPU (nothing is done if that leaves no CPU). The
/// worker restores its own set as soon as it runs again, so the kernel places it freely for the rest of the job.
/// These are libc calls (sched_getcpu, sched_setaffinity, gettid), made only when a worker was asleep, that is after
/// the pool had been idle for its spin time; if libc or one of them is missing, placement turns itself off.
/// </para>
/// </remarks>
internal static unsafe partial class WakePlacement
{
    /// <summary>64-bit words of a CPU mask: 1024 CPUs, glibc's cpu_set_t.</summary>
    internal const int MaskWords = 16;

    /// <summary>False off Linux, or once a libc call was missing.</summary>
    private static bool s_supported = OperatingSystem.IsLinux();

    private static bool s_enabled = true;

    private static long s_steered;

    /// <summary>
    /// Whether wake-ups are steered (where supported: Linux, and libc answered). Settable for A/B measurements and
    /// tests; workers register whatever its value, so it can be switched on and off at any time.
    /// </summary>
    internal static bool Enabled
    {
        get => Volatile.Read(ref s_enabled) && Volatile.Read(ref s_supported);
        set => Volatile.Write(ref s_enabled, value);
    }

    /// <summary>How many wake-ups have been steered since the process started (for tests).</summary>
    internal static long SteeredWakeups => Interlocked.Read(ref s_steered);

    /// <summary>One worker's identity and placement state.</summary>
    internal sealed class Slot
    {
        /// <summary>The worker's kernel thread id (0: unknown, placement not used for it).</summary>
        public int Tid;

        /// <summary>The worker's CPU set when it started, restored after a steered wake-up.</summary>
        public readonly ulong[] Home = new ulong[MaskWords];

        /// <summary>1 while the worker is about to block or blocked.</summary>
        public int Sleeping;

        /// <summary>1 when the caller narrowed the worker's affinity and the worker has not restored it yet.</summary>
        public int Steered;
    }

    /// <summary>Called by a worker on its own thread when it starts: records its thread id and CPU set.</summary>
    internal static void Register(Slot slot)
    {
        if (!Volatile.Read(ref s_supported))
        {
            return;
        }
        try
        {
            fixed (ulong* home = slot.Home)
            {
                if (sched_getaffinity(0, MaskWords * sizeof(ulong), home) != 0)
                {
                    return;
                }
            }
            slot.Tid = gettid();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Volatile.Write(ref s_supported, false);
        }
    }

    /// <summary>
    /// Called by the waking thread before it releases sleeping workers: narrows each sleeping worker's affinity to its
    /// home set without the caller's current CPU.
    /// </summary>
    internal static void SteerSleepers(ReadOnlySpan<Slot?> slots)
    {
        if (!Enabled)
        {
            return;
        }
        int cpu;
        try
        {
            cpu = sched_getcpu();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Volatile.Write(ref s_supported, false);
            return;
        }
        if (cpu < 0 || cpu >= MaskWords * 64)
        {
            return;
        }
        Span<ulong> mask = stackalloc ulong[MaskWords];
        foreach (var slot in slots)
        {
            if (slot is null || slot.Tid == 0 || Volatile.Read(ref slot.Sleeping) == 0 || !Without(slot.Home, cpu, mask))
            {
                continue;
            }
            fixed (ulong* m = mask)
            {
                if (sched_setaffinity(slot.Tid, MaskWords * sizeof(ulong), m) == 0)
                {
                    Volatile.Write(ref slot.Steered, 1);
                    Interlocked.Increment(ref s_steered);
                }
            }
        }
    }

    /// <summary>Called by a worker on its own thread after it wakes (and before it blocks): restores its home set if the caller narrowed it.</summary>
    internal static void RestoreIfSteered(Slot slot)
    {
        if (Interlocked.Exchange(ref slot.Steered, 0) == 0)
        {
            return;
        }
        fixed (ulong* home = slot.Home)
        {
            _ = sched_setaffinity(0, MaskWords * sizeof(ulong), home);
        }
    }

    /// <summary>
    /// <paramref name="result"/> = <paramref name="home"/> without CPU <paramref name="cpu"/>; false when that leaves
    /// no CPU (the caller's CPU is the only one the worker may use).
    /// </summary>
    internal static bool Without(ReadOnlySpan<ulong> home, int cpu, Span<ulong> result)
    {
        home.CopyTo(result);
        result[cpu >> 6] &= ~(1UL << (cpu & 63));
        foreach (var word in result)
        {
            if (word != 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The CPU set of thread <paramref name="tid"/> (0: the current thread), or null where placement is off (for tests).</summary>
    internal static ulong[]? CurrentAffinity(int tid)
    {
        if (!Volatile.Read(ref s_supported))
        {
            return null;
        }
        var mask = new ulong[MaskWords];
        fixed (ulong* m = mask)
        {
            return sched_getaffinity(tid, MaskWords * sizeof(ulong), m) == 0 ? mask : null;
        }
    }

    [LibraryImport("libc")]
    private static partial int sched_getcpu();

    [LibraryImport("libc")]
    private static partial int sched_getaffinity(int pid, nuint cpusetsize, ulong* mask);

    [LibraryImport("libc")]
    private static partial int sched_setaffinity(int pid, nuint cpusetsize, ulong* mask);

    [LibraryImport("libc")]
    private static partial int gettid();
}
