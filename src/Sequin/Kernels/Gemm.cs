using System.Numerics;

namespace Sequin.Kernels;

/// <summary>
/// General matrix multiply on row-major spans: <c>C = alpha · op(A) · op(B) + beta · C</c>,
/// where <c>op(A)</c> is <c>(m × k)</c>, <c>op(B)</c> is <c>(k × n)</c> and <c>C</c> is <c>(m × n)</c>.
/// </summary>
/// <remarks>
/// <c>lda</c>, <c>ldb</c> and <c>ldc</c> are the row strides (elements between consecutive rows) of the
/// matrices as stored: A is stored <c>(m × k)</c> or, when <c>transA</c>, <c>(k × m)</c>.
/// When <c>beta</c> is zero, C is not read (NaN in C does not propagate), as in BLAS.
/// </remarks>
public static class Gemm
{
    /// <summary>Single-precision GEMM. See <see cref="Gemm"/> for the layout.</summary>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is smaller than its row, or a span is too short.</exception>
    public static unsafe void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate("Sgemm", transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        fixed (float* pa = a, pb = b, pc = c)
        {
            GemmDriver<float>.Run(Simd.Current, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    /// <summary>Double-precision GEMM. See <see cref="Gemm"/> for the layout.</summary>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is smaller than its row, or a span is too short.</exception>
    public static unsafe void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
    {
        Validate("Dgemm", transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        fixed (double* pa = a, pb = b, pc = c)
        {
            GemmDriver<double>.Run(Simd.Current, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    /// <summary>Checks sizes, leading dimensions and span lengths before the kernels touch raw memory.</summary>
    private static void Validate(string op, bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentException($"{op}: sizes must be non-negative; got m={m}, n={n}, k={k}.");
        }
        CheckOperand(op, "A", "lda", transA ? "(k × m) because transA" : "(m × k)", transA ? k : m, transA ? m : k, aLength, lda);
        CheckOperand(op, "B", "ldb", transB ? "(n × k) because transB" : "(k × n)", transB ? n : k, transB ? k : n, bLength, ldb);
        CheckOperand(op, "C", "ldc", "(m × n)", m, n, cLength, ldc);
    }

    private static void CheckOperand(string op, string name, string ldName, string layout, int rows, int cols, int length, int ld)
    {
        if (ld < Math.Max(1, cols))
        {
            throw new ArgumentException(
                $"{op}: {name} is stored {layout} = ({rows} × {cols}), so {ldName} (its row stride) must be at least {cols}; got {ld}.",
                ldName);
        }
        if (rows == 0 || cols == 0)
        {
            return;
        }
        var needed = ((long)(rows - 1) * ld) + cols;
        if (length < needed)
        {
            throw new ArgumentException(
                $"{op}: {name} is stored {layout} = ({rows} × {cols}) with {ldName}={ld}, which needs (rows − 1) · {ldName} + cols = {needed} elements; " +
                $"the span has {length}. Pass the whole matrix, or check m, n, k and the transpose flags.",
                name.ToLowerInvariant());
        }
    }

    /// <summary>GEMM for <see cref="float"/> or <see cref="double"/>, dispatching to <see cref="Sgemm"/> or <see cref="Dgemm"/>.</summary>
    public static void Compute<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            Sgemm(transA, transB, m, n, k, float.CreateTruncating(alpha),
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(a), lda,
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(b), ldb, float.CreateTruncating(beta),
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(c), ldc);
        }
        else if (typeof(T) == typeof(double))
        {
            Dgemm(transA, transB, m, n, k, double.CreateTruncating(alpha),
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(a), lda,
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(b), ldb, double.CreateTruncating(beta),
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(c), ldc);
        }
        else
        {
            Reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    /// <summary>
    /// The plain triple loop that every fast kernel is tested against. Accumulates each dot product
    /// in <typeparamref name="T"/> in increasing k order.
    /// </summary>
    public static void Reference<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = T.Zero;
                for (var p = 0; p < k; p++)
                {
                    var av = transA ? a[p * lda + i] : a[i * lda + p];
                    var bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }
                ref var cij = ref c[i * ldc + j];
                cij = T.IsZero(beta) ? alpha * sum : alpha * sum + beta * cij;
            }
        }
    }
}
