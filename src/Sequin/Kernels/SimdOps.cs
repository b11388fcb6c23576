using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sequin.Kernels;

/// <summary>
/// One vector width's operations, so each kernel is written once and specialised by the JIT for
/// 512-bit, 256-bit and scalar code (the pattern of TensorPrimitives' operator structs).
/// </summary>
/// <typeparam name="T">Element type (float or double).</typeparam>
/// <typeparam name="TV">Vector type (<see cref="Vector512{T}"/>, <see cref="Vector256{T}"/> or <typeparamref name="T"/> itself).</typeparam>
internal unsafe interface ISimdOps<T, TV>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TV : struct
{
    /// <summary>Elements per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Rows of the packed GEMM micro-tile for this width.</summary>
    static abstract int GemmRows { get; }

    /// <summary>All-zero vector.</summary>
    static abstract TV Zero { get; }

    /// <summary>Unaligned load.</summary>
    static abstract TV Load(T* p);

    /// <summary>Unaligned store.</summary>
    static abstract void Store(T* p, TV v);

    /// <summary>Every lane = <paramref name="x"/>.</summary>
    static abstract TV Broadcast(T x);

    /// <summary><c>a · b + c</c>, fused where the hardware has FMA.</summary>
    static abstract TV Fma(TV a, TV b, TV c);

    /// <summary>Lane-wise product.</summary>
    static abstract TV Mul(TV a, TV b);

    /// <summary>Lane-wise sum.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>Sum of the lanes.</summary>
    static abstract T Sum(TV v);

    /// <summary>Every lane 1.</summary>
    static abstract TV One { get; }

    /// <summary>
    /// The vector at <c>s[i]</c>. The vector widths do not check the span (the gate kernels check the lengths once per
    /// call); the scalar one indexes it, so a span shorter than the shapes fails there.
    /// </summary>
    static abstract TV Load(ReadOnlySpan<T> s, int i);

    /// <summary>Stores <paramref name="v"/> at <c>s[i]</c>, checked like <see cref="Load(ReadOnlySpan{T}, int)"/>.</summary>
    static abstract void Store(Span<T> s, int i, TV v);

    /// <summary>Lane-wise difference.</summary>
    static abstract TV Sub(TV a, TV b);

    /// <summary>Lane-wise <c>test &gt; 0 ? value : 0</c> (a NaN or −0 test gives +0): relu and its derivative.</summary>
    static abstract TV SelectPositive(TV test, TV value);

    /// <summary>Lane-wise logistic sigmoid of the gate passes (vectors: <see cref="VecMath{T, TS, TV}.GateSigmoid"/>; scalar: <see cref="RecurrentKernels.Sigmoid{T}(T)"/>).</summary>
    static abstract TV Sigmoid(TV x);

    /// <summary>Lane-wise tanh of the gate passes (vectors: <see cref="VecMath{T, TS, TV}.GateTanh"/>; scalar: <c>T.Tanh</c>).</summary>
    static abstract TV Tanh(TV x);
}

/// <summary>
/// The lane-wise primitives of the vector widths that <see cref="VecMath{T, TS, TV}"/> builds exp, sigmoid and tanh
/// from, so that math is written once for 512 and 256 bits (the scalar width uses <typeparamref name="T"/>'s own functions).
/// Comparisons return lane masks (all bits set where true) for <see cref="Select"/>.
/// </summary>
/// <typeparam name="T">Element type (float or double).</typeparam>
/// <typeparam name="TV">Vector type (<see cref="Vector512{T}"/> or <see cref="Vector256{T}"/>).</typeparam>
internal interface IVectorOps<T, TV> : ISimdOps<T, TV>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TV : struct
{
    /// <summary>Lane-wise quotient.</summary>
    static abstract TV Div(TV a, TV b);

    /// <summary>Lane-wise negation (flips the sign bit, NaN included).</summary>
    static abstract TV Neg(TV x);

    /// <summary>Lane-wise absolute value.</summary>
    static abstract TV Abs(TV x);

    /// <summary>Lane-wise minimum, with the hardware's NaN behaviour.</summary>
    static abstract TV MinNative(TV a, TV b);

    /// <summary>Lane-wise maximum, with the hardware's NaN behaviour.</summary>
    static abstract TV MaxNative(TV a, TV b);

    /// <summary>Lane-wise round to nearest, ties to even.</summary>
    static abstract TV Round(TV x);

    /// <summary>Lane-wise round down.</summary>
    static abstract TV Floor(TV x);

    /// <summary>Mask of <c>a == b</c> (false for NaN lanes).</summary>
    static abstract TV Equal(TV a, TV b);

    /// <summary>Mask of <c>a &lt; b</c>.</summary>
    static abstract TV LessThan(TV a, TV b);

    /// <summary>Mask of <c>a &gt; b</c>.</summary>
    static abstract TV GreaterThan(TV a, TV b);

    /// <summary>Bitwise select: the bits of <paramref name="a"/> where <paramref name="mask"/> has ones, else those of <paramref name="b"/>.</summary>
    static abstract TV Select(TV mask, TV a, TV b);

    /// <summary>
    /// <c>2^n</c> for integral lanes <paramref name="n"/> within the normal exponent range (float: −126…127), built from
    /// the exponent bits (the conversion does not saturate: other lanes give garbage).
    /// </summary>
    static abstract TV Pow2(TV n);

    /// <summary>The runtime's vectorised <c>e^x</c> (used for double).</summary>
    static abstract TV RuntimeExp(TV x);
}

/// <summary>512-bit operations (AVX-512F).</summary>
internal readonly unsafe struct Ops512<T> : IVectorOps<T, Vector512<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;
    public static int GemmRows => 8;
    public static Vector512<T> Zero => Vector512<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(T* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T* p, Vector512<T> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T x) => Vector512.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        }
        return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Mul(Vector512<T> a, Vector512<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector512<T> v) => Vector512.Sum(v);

    public static Vector512<T> One => Vector512<T>.One;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ReadOnlySpan<T> s, int i) => Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Span<T> s, int i, Vector512<T> v) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sub(Vector512<T> a, Vector512<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> SelectPositive(Vector512<T> test, Vector512<T> value)
        => Vector512.ConditionalSelect(Vector512.GreaterThan(test, Vector512<T>.Zero), value, Vector512<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sigmoid(Vector512<T> x) => VecMath<T, Ops512<T>, Vector512<T>>.GateSigmoid(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Tanh(Vector512<T> x) => VecMath<T, Ops512<T>, Vector512<T>>.GateTanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Div(Vector512<T> a, Vector512<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Neg(Vector512<T> x) => -x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Abs(Vector512<T> x) => Vector512.Abs(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MinNative(Vector512<T> a, Vector512<T> b) => Vector512.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MaxNative(Vector512<T> a, Vector512<T> b) => Vector512.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Round(Vector512<T> x) => typeof(T) == typeof(float)
        ? Vector512.Round(x.AsSingle()).As<float, T>()
        : Vector512.Round(x.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Floor(Vector512<T> x) => typeof(T) == typeof(float)
        ? Vector512.Floor(x.AsSingle()).As<float, T>()
        : Vector512.Floor(x.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Equal(Vector512<T> a, Vector512<T> b) => Vector512.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LessThan(Vector512<T> a, Vector512<T> b) => Vector512.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> GreaterThan(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Select(Vector512<T> mask, Vector512<T> a, Vector512<T> b) => Vector512.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Pow2(Vector512<T> n) => typeof(T) == typeof(float)
        ? Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n.AsSingle()) + Vector512.Create(127), 23).As<int, T>()
        : Vector512.ShiftLeft(Vector512.ConvertToInt64Native(n.AsDouble()) + Vector512.Create(1023L), 52).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> RuntimeExp(Vector512<T> x) => typeof(T) == typeof(float)
        ? Vector512.Exp(x.AsSingle()).As<float, T>()
        : Vector512.Exp(x.AsDouble()).As<double, T>();
}

/// <summary>256-bit operations (AVX2 + FMA3).</summary>
internal readonly unsafe struct Ops256<T> : IVectorOps<T, Vector256<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;
    public static int GemmRows => 6;
    public static Vector256<T> Zero => Vector256<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(T* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T* p, Vector256<T> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T x) => Vector256.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fma(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float))
        {
            return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        }
        return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Mul(Vector256<T> a, Vector256<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector256<T> v) => Vector256.Sum(v);

    public static Vector256<T> One => Vector256<T>.One;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ReadOnlySpan<T> s, int i) => Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Span<T> s, int i, Vector256<T> v) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sub(Vector256<T> a, Vector256<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> SelectPositive(Vector256<T> test, Vector256<T> value)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(test, Vector256<T>.Zero), value, Vector256<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sigmoid(Vector256<T> x) => VecMath<T, Ops256<T>, Vector256<T>>.GateSigmoid(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Tanh(Vector256<T> x) => VecMath<T, Ops256<T>, Vector256<T>>.GateTanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Div(Vector256<T> a, Vector256<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Neg(Vector256<T> x) => -x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Abs(Vector256<T> x) => Vector256.Abs(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MinNative(Vector256<T> a, Vector256<T> b) => Vector256.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MaxNative(Vector256<T> a, Vector256<T> b) => Vector256.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Round(Vector256<T> x) => typeof(T) == typeof(float)
        ? Vector256.Round(x.AsSingle()).As<float, T>()
        : Vector256.Round(x.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Floor(Vector256<T> x) => typeof(T) == typeof(float)
        ? Vector256.Floor(x.AsSingle()).As<float, T>()
        : Vector256.Floor(x.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Equal(Vector256<T> a, Vector256<T> b) => Vector256.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LessThan(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> GreaterThan(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Select(Vector256<T> mask, Vector256<T> a, Vector256<T> b) => Vector256.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Pow2(Vector256<T> n) => typeof(T) == typeof(float)
        ? Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n.AsSingle()) + Vector256.Create(127), 23).As<int, T>()
        : Vector256.ShiftLeft(Vector256.ConvertToInt64Native(n.AsDouble()) + Vector256.Create(1023L), 52).As<long, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> RuntimeExp(Vector256<T> x) => typeof(T) == typeof(float)
        ? Vector256.Exp(x.AsSingle()).As<float, T>()
        : Vector256.Exp(x.AsDouble()).As<double, T>();
}

/// <summary>Scalar "vectors" of one element: the portable fallback.</summary>
internal readonly unsafe struct OpsScalar<T> : ISimdOps<T, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => 1;
    public static int GemmRows => 4;
    public static T Zero => T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load(T* p) => *p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T* p, T v) => *p = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Broadcast(T x) => x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Fma(T a, T b, T c) => (a * b) + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Mul(T a, T b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Add(T a, T b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(T v) => v;

    public static T One => T.One;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load(ReadOnlySpan<T> s, int i) => s[i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Span<T> s, int i, T v) => s[i] = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sub(T a, T b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SelectPositive(T test, T value) => test > T.Zero ? value : T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid(T x) => RecurrentKernels.Sigmoid(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh(T x) => T.Tanh(x);
}
