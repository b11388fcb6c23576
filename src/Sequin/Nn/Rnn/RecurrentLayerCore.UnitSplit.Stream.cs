using Sequin.Kernels;

namespace Sequin.Nn;

internal static partial class FusedRecurrentLayer
{
    /// <summary>
    /// Whether a unit split of one sequence computes the next chunk's input projection beside each step's product
    /// (<see cref="TileStream{T}"/>): the step streams W_hh, too large for a core's L2, and is bound by the loads, so the
    /// projection's arithmetic, on operands in L1, costs little beside it, instead of running as one block at the start
    /// of every chunk while the other threads wait for it. Measured on two AVX-512 cores (LSTM 512, input 256): one
    /// part's step took 22.3 µs for the product alone, 25.4 µs with its share of the projection beside it, against
    /// 5.2 µs a step for the packed projection on its own; the layer at T = 1000, B = 1 (A/B in one process, 120 calls
    /// each) 1.05–1.13× as fast for an LSTM and 1.10–1.11× for a GRU, and compare's LSTM row went from 1.11 to
    /// 1.17–1.22× ONNX Runtime. Other shapes (two threads): LSTM 384 with input 128 1.048×, GRU 512 with input 64 at
    /// T = 300 1.028×, and input 1024 (more projection than the steps carry, finished at each chunk's start) 1.000×.
    /// With one thread the split runs as a single part for this alone: 1.054× (LSTM, twice) and 1.040× (GRU) over the
    /// plain single-thread path, 1.028× for LSTM 384 and 1.003× at input 1024. A tunable for A/B timing; AVX-512 only (the kernel needs 32
    /// vector registers).
    /// </summary>
    internal static bool FusedProjection = true;

    /// <summary>
    /// Steps per chunk of a fused unit split (see <see cref="FusedProjection"/>): the first chunk's projection runs
    /// before the first step, the others beside the steps before them, so a short first chunk waits less. Each step's
    /// share of the next chunk reads a panel of W_ih from L2 once per chunk / 8 of its tiles: 64 steps reuse it over
    /// two steps.
    /// </summary>
    internal static int FusedChunkSteps = 64;

    /// <summary>Whether a unit split of this shape runs the fused projection (see <see cref="FusedProjection"/>).</summary>
    internal static bool FusedApplies(int batch, int blocks, int steps)
        => FusedProjection && blocks == 1 && batch == 1 && steps > FusedChunkSteps && Simd.Current == SimdLevel.Avx512;

    /// <summary>Unit splits created with the fused projection so far (tests check that a case takes the path).</summary>
    internal static long FusedSplits;

    private sealed partial class Runner<T>
    {
        private sealed partial class Direction
        {
            /// <summary>
            /// The fused projection of a unit split of one sequence (see <see cref="FusedProjection"/>): while a chunk's
            /// steps run, each part's one-row products carry the next chunk's projection as a <see cref="TileStream{T}"/>,
            /// and the chunk's start finishes what the stream left.
            /// </summary>
            private sealed partial class UnitSplit
            {
                /// <summary>
                /// Fused: part <paramref name="part"/>'s projection of the chunk from step <paramref name="step"/> starts as a
                /// tile stream into <paramref name="area"/>; each step's product advances it (<see cref="StepWithStream"/>).
                /// </summary>
                private void StartStream(int part, int step, int area)
                {
                    var lay = d.r.layout;
                    var last = Math.Min(lay.Steps, step + chunkSteps) - 1;
                    var rows = lay.Offsets[last] + lay.BatchSizes[last] - lay.Offsets[step];
                    var gn = d.r.g * (unit[part + 1] - unit[part]);
                    stream[part] = new TileStream<T>
                    {
                        Lda = d.r.inputSize,
                        K = d.r.inputSize,
                        N = gn,
                        Ldc = gn,
                        RowBlocks = rows / 8,
                        Panels = gn / wihPart[part]!.PanelWidth,
                        Area = area,
                    };
                    streamRow[part] = lay.Offsets[step];
                    Array.Clear(acc[part]);
                }

                /// <summary>One step's product for part <paramref name="part"/> with its stream advancing beside it.</summary>
                private unsafe void StepWithStream(int part, ReadOnlySpan<T> hp, T beta, Span<T> hgs, bool reverse)
                {
                    ref var st = ref stream[part];
                    int gn = d.r.g * (unit[part + 1] - unit[part]), inp = d.r.inputSize;
                    fixed (T* pa = d.r.xm.Span[(streamRow[part] * inp)..], pc = xg[part].AsSpan(st.Area * chunkRows * gn), pb = bih[part], pacc = acc[part])
                    {
                        st.A = pa;
                        st.C = pc;
                        st.Bias = bih[part].Length > 0 ? pb : null;
                        st.Acc = pacc;
                        try
                        {
                            whhPart[part]!.MultiplyRowWithTiles(T.One, hp, beta, hgs, reverse, wihPart[part]!, ref st);
                        }
                        finally
                        {
                            st.A = st.C = st.Bias = st.Acc = null;
                        }
                    }
                }

                /// <summary>
                /// Fused, at the start of a chunk: what part <paramref name="part"/>'s stream left of the chunk's projection
                /// (the tiles it did not finish, a partial last panel, the rows past the last whole 8-row block), into
                /// <paramref name="area"/>; the chunk has <paramref name="rows"/> packed rows from <paramref name="first"/>.
                /// </summary>
                private void FinishStream(int part, int area, int first, int rows)
                {
                    ref var st = ref stream[part];
                    int gn = d.r.g * (unit[part + 1] - unit[part]), nr = wihPart[part]!.PanelWidth, blocks8 = st.RowBlocks * 8;
                    var panel = st.RowBlocks == 0 ? st.Panels : st.Tile / st.RowBlocks;
                    if (panel < st.Panels)
                    {
                        // The panel in progress: its row blocks from the first unfinished one.
                        ProjectRegion(part, area, first, (st.Tile % st.RowBlocks) * 8, blocks8, panel * nr, (panel + 1) * nr);
                    }
                    ProjectRegion(part, area, first, 0, blocks8, Math.Min(panel + 1, st.Panels) * nr, gn);
                    ProjectRegion(part, area, first, blocks8, rows, 0, gn);
                    st = default;
                }

                /// <summary>Rows <c>[i0, i1)</c> and columns <c>[j0, j1)</c> of a chunk's projection (see <see cref="Project"/>).</summary>
                private void ProjectRegion(int part, int area, int first, int i0, int i1, int j0, int j1)
                {
                    if (i1 <= i0 || j1 <= j0)
                    {
                        return;
                    }
                    int gn = d.r.g * (unit[part + 1] - unit[part]), inp = d.r.inputSize, m = i1 - i0;
                    var x = d.r.xm.Span.Slice((first + i0) * inp, m * inp);
                    var dst = xg[part].AsSpan(((area * chunkRows) + i0) * gn, m * gn);
                    var bi = bih[part];
                    for (var i = 0; i < m && bi.Length > 0; i++)
                    {
                        bi.AsSpan(j0, j1 - j0).CopyTo(dst[((i * gn) + j0)..]);
                    }
                    wihPart[part]!.MultiplyColumnsOnThisThread(m, j0, j1, T.One, x, inp, bi.Length > 0 ? T.One : T.Zero, dst, gn);
                }
            }
        }
    }
}
