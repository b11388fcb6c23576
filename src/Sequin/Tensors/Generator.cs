namespace Sequin.Tensors;

/// <summary>
/// A seeded pseudo-random generator (xoshiro256**), the analogue of <c>torch.Generator</c>.
/// Every random operation takes an optional generator; without one it uses <see cref="Default"/>,
/// which <see cref="ManualSeed"/> reseeds, so a seeded program is reproducible run to run.
/// The stream is Sequin's own: the same seed does not give PyTorch's numbers.
/// </summary>
public sealed class Generator
{
    private ulong s0, s1, s2, s3;
    private double? spareNormal;

    /// <summary>Creates a generator seeded with <paramref name="seed"/>.</summary>
    public Generator(long seed = 0) => Seed(seed);

    /// <summary>The process-wide generator used when none is passed (<c>torch.default_generator</c>).</summary>
    public static Generator Default { get; } = new(0);

    /// <summary>Reseeds <see cref="Default"/> (<c>torch.manual_seed</c>).</summary>
    public static void ManualSeed(long seed) => Default.Seed(seed);

    /// <summary>The seed this generator was last seeded with.</summary>
    public long InitialSeed { get; private set; }

    /// <summary>Reseeds this generator; the stream restarts from the beginning.</summary>
    public Generator Seed(long seed)
    {
        InitialSeed = seed;
        var x = unchecked((ulong)seed);
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
        spareNormal = null;
        return this;
    }

    /// <summary>Captures the full state, so that <see cref="SetState"/> can resume the stream exactly (for checkpoints).</summary>
    public ulong[] GetState() => [s0, s1, s2, s3, spareNormal is { } v ? BitConverter.DoubleToUInt64Bits(v) : 0UL, spareNormal is null ? 0UL : 1UL];

    /// <summary>Restores a state captured by <see cref="GetState"/>.</summary>
    public void SetState(ulong[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length != 6)
        {
            throw new ArgumentException($"Generator state must have 6 words; got {state.Length}.", nameof(state));
        }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
        spareNormal = state[5] == 1 ? BitConverter.UInt64BitsToDouble(state[4]) : null;
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(s1 * 5, 7) * 9;
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [low, high).</summary>
    public long NextInt64(long low, long high)
    {
        if (high <= low)
        {
            throw new ArgumentException($"NextInt64 needs low < high; got [{low}, {high}).");
        }
        var range = (ulong)(high - low);
        return low + (long)(NextUInt64() % range);
    }

    /// <summary>A standard normal sample (Box–Muller).</summary>
    public double NextNormal()
    {
        if (spareNormal is { } spare)
        {
            spareNormal = null;
            return spare;
        }
        double u1;
        do
        {
            u1 = NextDouble();
        }
        while (u1 <= double.Epsilon);
        var u2 = NextDouble();
        var r = Math.Sqrt(-2.0 * Math.Log(u1));
        spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }
}
