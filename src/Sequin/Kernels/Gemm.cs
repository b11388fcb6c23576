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
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>Double-precision GEMM. See <see cref="Gemm"/> for the layout.</summary>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
        => Reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

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
