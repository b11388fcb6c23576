using System.Numerics;

namespace Sequin.Kernels;

/// <summary>
/// A second product <c>C = A · op(B) + bias</c> cut into micro-tiles of 8 rows × one panel (two vectors), which
/// <see cref="GemmDriver{T}.PrepackedGemvWithTiles{TS, TV}"/> advances one depth element per 16 depth elements of its
/// one-row product. A one-row product that streams a weight matrix too large for the core's L2 is bound by the loads
/// and leaves most of the FMA units idle; the tiles' operands stay in L1, so their arithmetic fills that idle time
/// (a recurrent layer on one sequence computes the next chunk's input projection this way, step by step, instead of
/// in one block before the chunk). Pointers are valid for one call; the progress (<see cref="Tile"/>,
/// <see cref="Depth"/>, the partial sums in <see cref="Acc"/>) carries over from one call to the next.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal unsafe struct TileStream<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The left operand: <see cref="RowBlocks"/> × 8 rows of depth <see cref="K"/>, row stride <see cref="Lda"/>.</summary>
    public T* A;

    /// <summary>Row stride of <see cref="A"/>.</summary>
    public nint Lda;

    /// <summary>op(B) packed as by <see cref="PackedMatrix{T}"/> (depth <see cref="K"/>, columns <see cref="N"/>).</summary>
    public T* B;

    /// <summary>Depth of the product.</summary>
    public int K;

    /// <summary>Columns of op(B).</summary>
    public int N;

    /// <summary>Depth block of the packed layout.</summary>
    public int Kc;

    /// <summary>Column block of the packed layout.</summary>
    public int Nc;

    /// <summary>The output rows, row stride <see cref="Ldc"/>.</summary>
    public T* C;

    /// <summary>Row stride of <see cref="C"/>.</summary>
    public nint Ldc;

    /// <summary><see cref="N"/> values added to every row (the first depth block adds them), or null.</summary>
    public T* Bias;

    /// <summary>Whole 8-row blocks of A that the stream covers.</summary>
    public int RowBlocks;

    /// <summary>Whole panels (two vectors of columns) of op(B) that the stream covers.</summary>
    public int Panels;

    /// <summary>Room for 16 vectors: the unfinished tile's partial sums between calls.</summary>
    public T* Acc;

    /// <summary>Tiles finished, panel after panel and, within a panel, row block after row block.</summary>
    public int Tile;

    /// <summary>Depth already summed in tile <see cref="Tile"/> (its finished depth blocks are stored in C).</summary>
    public int Depth;

    /// <summary>Free for the owner: which of its buffers <see cref="C"/> points into between calls.</summary>
    public int Area;

    /// <summary>Tiles in the stream.</summary>
    public readonly int Total => RowBlocks * Panels;

    /// <summary>Whether every tile is finished.</summary>
    public readonly bool Done => Tile >= Total;
}
