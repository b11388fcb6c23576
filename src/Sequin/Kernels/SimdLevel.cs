using System.Runtime.Intrinsics.X86;

namespace Sequin.Kernels;

/// <summary>The instruction-set paths the kernels can take, from slowest to fastest.</summary>
internal enum SimdLevel
{
    /// <summary>Plain scalar code; runs anywhere.</summary>
    Scalar = 0,

    /// <summary>256-bit vectors with FMA (AVX2 + FMA3).</summary>
    Avx2 = 1,

    /// <summary>512-bit vectors (AVX-512F).</summary>
    Avx512 = 2,
}

/// <summary>Which <see cref="SimdLevel"/> the kernels use, with a per-thread cap so tests can exercise every path.</summary>
internal static class Simd
{
    /// <summary>The best level this CPU supports.</summary>
    internal static readonly SimdLevel Detected =
        Avx512F.IsSupported ? SimdLevel.Avx512 :
        Avx2.IsSupported && Fma.IsSupported ? SimdLevel.Avx2 :
        SimdLevel.Scalar;

    [ThreadStatic]
    private static int t_cap; // 0 = no cap; otherwise (level + 1)

    /// <summary>The level kernels called from this thread use: <see cref="Detected"/>, lowered by <see cref="Limit"/>.</summary>
    internal static SimdLevel Current
    {
        get
        {
            var cap = t_cap;
            return cap != 0 && (SimdLevel)(cap - 1) < Detected ? (SimdLevel)(cap - 1) : Detected;
        }
    }

    /// <summary>Caps the level for kernels called from the current thread until the returned scope is disposed.</summary>
    internal static Scope Limit(SimdLevel max)
    {
        var previous = t_cap;
        t_cap = (int)max + 1;
        return new Scope(previous);
    }

    /// <summary>Restores the previous cap when disposed.</summary>
    internal readonly struct Scope(int previous) : IDisposable
    {
        /// <summary>Restores the previous cap.</summary>
        public void Dispose() => t_cap = previous;
    }
}
