using Sequin.Kernels;

namespace Sequin.Tensors;

public sealed partial class Tensor
{
    /// <summary>Matrix product of 2-D tensors: <c>(n × m) · (m × p) → (n × p)</c> (<c>torch.mm</c>).</summary>
    public Tensor MM(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Dim != 2 || other.Dim != 2)
        {
            throw new ArgumentException($"mm: expects two 2-D tensors; got shapes {Shape} and {other.Shape}. Use MatMul for batched or 1-D operands.");
        }
        if (shape[1] != other.shape[0])
        {
            throw new ArgumentException(
                $"mm: shapes {Shape} and {other.Shape} cannot be multiplied ({shape[0]}x{shape[1]} and {other.shape[0]}x{other.shape[1]}): " +
                $"the inner sizes {shape[1]} and {other.shape[0]} must match.");
        }
        var dtype = DTypeExtensions.Promote(DType, other.DType);
        var a = To(dtype);
        var b = other.To(dtype);
        var r = new Tensor(dtype, [shape[0], other.shape[1]]);
        MatMulInto(a, b, r, 0, 0, 0);
        return Record(r, "MmBackward0", [a, b], g => [g.MM(b.T()), a.T().MM(g)]);
    }

    /// <summary>Batched matrix product: <c>(b × n × m) · (b × m × p) → (b × n × p)</c> (<c>torch.bmm</c>).</summary>
    public Tensor BMM(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Dim != 3 || other.Dim != 3)
        {
            throw new ArgumentException($"bmm: expects two 3-D tensors; got shapes {Shape} and {other.Shape}.");
        }
        if (shape[0] != other.shape[0] || shape[2] != other.shape[1])
        {
            throw new ArgumentException(
                $"bmm: shapes {Shape} and {other.Shape} do not fit (batch {shape[0]} vs {other.shape[0]}, inner {shape[2]} vs {other.shape[1]}); " +
                "expected (b, n, m) and (b, m, p).");
        }
        var dtype = DTypeExtensions.Promote(DType, other.DType);
        var a = To(dtype);
        var b = other.To(dtype);
        var r = new Tensor(dtype, [shape[0], shape[1], other.shape[2]]);
        for (var i = 0; i < shape[0]; i++)
        {
            MatMulInto(a, b, r, i, i, i);
        }
        return Record(r, "BmmBackward0", [a, b], g => [g.BMM(b.Transpose(1, 2)), a.Transpose(1, 2).BMM(g)]);
    }

    /// <summary>
    /// <c>torch.matmul</c>: dot product for 1-D·1-D, matrix–vector, matrix–matrix, and batched products with
    /// broadcasting of the batch dimensions, e.g. <c>(j, 1, n, m) · (k, m, p) → (j, k, n, p)</c>.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Dim == 0 || other.Dim == 0)
        {
            throw new ArgumentException($"matmul: both arguments need at least 1 dimension; got {Shape} and {other.Shape}.");
        }
        var innerA = shape[^1];
        var innerB = other.Dim == 1 ? other.shape[0] : other.shape[^2];
        if (innerA != innerB)
        {
            throw new ArgumentException(
                $"matmul: shapes {Shape} and {other.Shape} cannot be multiplied: the last dimension of the first ({innerA}) must equal " +
                $"the {(other.Dim == 1 ? "only" : "second-to-last")} dimension of the second ({innerB}).");
        }
        if (Dim == 1 && other.Dim == 1)
        {
            return Unsqueeze(0).MM(other.Unsqueeze(1)).Reshape();
        }
        if (Dim == 1)
        {
            return Unsqueeze(0).MatMul(other).Squeeze(-2);
        }
        if (other.Dim == 1)
        {
            return MatMul(other.Unsqueeze(1)).Squeeze(-1);
        }
        if (Dim == 2 && other.Dim == 2)
        {
            return MM(other);
        }
        var n = shape[^2];
        var m = shape[^1];
        var p = other.shape[^1];
        if (other.Dim == 2)
        {
            // (..., n, m) · (m, p): fold the batch into the rows, one GEMM, as PyTorch does (no copies of the weight).
            return Reshape(-1, m).MM(other).Reshape([.. shape[..^1], p]);
        }
        var batchA = shape[..^2];
        var batchB = other.shape[..^2];
        var batch = ShapeUtil.Broadcast("matmul", batchA, batchB);
        var nb = ShapeUtil.Numel(batch);
        var a = Expand([.. batch, n, m]).Reshape(nb, n, m);
        var b = other.Expand([.. batch, m, p]).Reshape(nb, m, p);
        return a.BMM(b).Reshape([.. batch, n, p]);
    }

    /// <summary>r[ri] = a[ai] · b[bi] for 2-D (index ignored) or 3-D (batch index) operands, without copying transposed operands.</summary>
    private static void MatMulInto(Tensor a, Tensor b, Tensor r, int ai, int bi, int ri)
    {
        var (aRows, aCols, aOff, aTrans, lda, aa) = MatrixOperand(a, ai);
        var (_, bCols, bOff, bTrans, ldb, bb) = MatrixOperand(b, bi);
        var k = aCols;
        var rOff = r.Dim == 3 ? ri * aRows * bCols : 0;
        if (aRows == 0 || bCols == 0)
        {
            return;
        }
        if (r.DType == DType.Float32)
        {
            Gemm.Sgemm(aTrans, bTrans, aRows, bCols, k, 1f, aa.Data<float>().AsSpan(aOff), lda, bb.Data<float>().AsSpan(bOff), ldb, 0f,
                r.Data<float>().AsSpan(rOff), bCols);
        }
        else if (r.DType == DType.Float64)
        {
            Gemm.Dgemm(aTrans, bTrans, aRows, bCols, k, 1.0, aa.Data<double>().AsSpan(aOff), lda, bb.Data<double>().AsSpan(bOff), ldb, 0.0,
                r.Data<double>().AsSpan(rOff), bCols);
        }
        else
        {
            throw new InvalidOperationException("matmul: int64 matrix products are not supported; convert with .Float() or .Double().");
        }
    }

    /// <summary>Describes matrix <paramref name="index"/> of t for GEMM: row-major, or a transposed row-major view; copies otherwise.</summary>
    private static (int Rows, int Cols, int Offset, bool Trans, int Ld, Tensor Source) MatrixOperand(Tensor t, int index)
    {
        var batched = t.Dim == 3;
        var rows = t.shape[batched ? 1 : 0];
        var cols = t.shape[batched ? 2 : 1];
        var rowStride = t.strides[batched ? 1 : 0];
        var colStride = t.strides[batched ? 2 : 1];
        var offset = t.Offset + (batched ? index * t.strides[0] : 0);
        if ((colStride == 1 || cols <= 1) && rowStride >= Math.Max(cols, 1))
        {
            return (rows, cols, offset, false, rowStride, t);
        }
        if ((rowStride == 1 || rows <= 1) && colStride >= Math.Max(rows, 1))
        {
            return (rows, cols, offset, true, colStride, t);
        }
        var c = t.ViewOf([rows, cols], [rowStride, colStride], offset).DetachedCopy();
        return (rows, cols, 0, false, Math.Max(cols, 1), c);
    }
}
