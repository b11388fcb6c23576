using Sequin.Kernels;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Sequin.Nn;

internal static partial class FusedRecurrentLayer
{
    /// <summary>
    /// Fewest W_hh elements (gates · hidden · hidden) for which inference on a single sequence splits the hidden units
    /// across threads (<see cref="Runner{T}.Direction.UnitSplit"/>): about 2 MB in float, where one step's product is
    /// bound by reading W_hh and a second core's cache bandwidth pays for the per-step synchronisation. Tests lower it
    /// to run the path on small layers.
    /// </summary>
    internal static long UnitSplitMinElements = 1L << 19;

    /// <summary>
    /// Largest batch that runs as a unit split. The split handles any batch (tests run it at 6, packed), but measured
    /// against the alternatives it only wins at one sequence: at batch 4–24 it was on par with splitting the product,
    /// and at batch 64 (LSTM/GRU 512) 25–35% slower than independent row groups; with one packed matrix per part and
    /// the segments GC, on par with them at batch 64 (LSTM medians 66-73 vs 63-77 ms, best 58-61 vs 59-64). Those were
    /// two-core measurements; with more threads <see cref="UnitSplitBeatsRowGroups"/> also sends larger batches to it.
    /// </summary>
    internal static int UnitSplitMaxBatch = 1;

    /// <summary>
    /// Whether a batch larger than <see cref="UnitSplitMaxBatch"/> still runs as a unit split: when it has more than two
    /// parts and row groups (at least <see cref="MinGroupRows"/> rows each) would get no more threads than it does. Then
    /// each row group is a few rows that stream the whole of W_hh through their core at every step with the few-row
    /// kernel, while each part of a unit split keeps its slice of W_hh in its own L2 and runs full 8-row tiles. Measured
    /// on a 16-core Xeon (LSTM/GRU 512, T = 100, weights packed once; the unit split's speed over the row groups', A/B in
    /// both orders): with 16 threads an LSTM at batch 16 2.25-2.38× and at batch 32 1.43-1.49× (8 parts against 4 and 8
    /// row groups); at batch 64 with 8 and 4 threads 1.04-1.11× (LSTM) and 1.01-1.13× (GRU); at batch 64 with 16 threads,
    /// where 8 parts meet 16 row groups, 0.86-0.99× (LSTM) and 0.83-0.95× (GRU), so that case keeps the row groups. With
    /// two parts (two cores) nothing changes: there the unit split was on par with row groups at batch 64 and 4-24.
    /// </summary>
    internal static bool UnitSplitBeatsRowGroups(int batch, int parts, int threads)
        => parts > 2 && parts >= Math.Max(1, Math.Min(batch / MinGroupRows, threads));

    /// <summary>Fewest hidden units per thread in a unit split (a tunable for A/B timing).</summary>
    internal static int MinUnitsPerPart = 64;

    private sealed partial class Runner<T>
    {
        /// <summary>Threads of a unit split for this call (see <see cref="Direction.UnitSplit"/>); 0 or 1 when it does not apply.</summary>
        private int UnitSplitParts(bool save)
        {
            var parts = Math.Min(Parallelism.MaxThreads, hidden / MinUnitsPerPart);
            var batchFits = layout.Batch <= UnitSplitMaxBatch || UnitSplitBeatsRowGroups(layout.Batch, parts, Parallelism.MaxThreads);
            var qualifies = !save && dirs == 1 && proj == 0 && batchFits && parts > 1 &&
                layout.Steps >= PackMinSteps && (long)g * hidden * hout >= UnitSplitMinElements;
            return qualifies ? parts : 0;
        }

        private sealed partial class Direction
        {
            private UnitSplit? split;

            /// <summary>
            /// Inference on a small batch (see <see cref="UnitSplitMaxBatch"/>) with the hidden units split across threads.
            /// Part p owns the units <c>[u_p, u_{p+1})</c>: the rows of W_ih, W_hh and the biases of its units in every
            /// gate, packed as one matrix per weight (gate after gate), and its columns of h and c. At each step it computes
            /// its units' gate pre-activations for the active rows, runs the gate pass on them and writes its columns of h into the output
            /// rows, and every thread reads the whole h at the next step. Compared with splitting only the product, the gate
            /// pass, the output write and the input projections (done by each part for its own columns at the start of a
            /// chunk) no longer run on the calling thread alone while the others wait, and each thread keeps the same
            /// rows of W_hh (2 MB for an LSTM 512 on 2 threads) from one step to the next. An LSTM accumulates W_hh·h onto
            /// the projected rows, whose bias holds b_ih + b_hh (the row groups accumulate the same way but add both biases
            /// in the gate pass: their projection covers many more rows).
            /// </summary>
            /// <remarks>
            /// One pool job per call. Each step is a set of items, one per part; every participant thread claims its own
            /// part's item first (so each thread keeps reading the same rows of W_hh), then any item nobody has claimed,
            /// and waits until every item of the step is done before it starts the next step. Nothing waits for a thread
            /// that has not started: if the pool runs the participants one after another (its inline fallback for nested
            /// or concurrent calls) the first one claims every item of every step and the others find nothing left.
            /// </remarks>
            private sealed class UnitSplit : PoolWork, IDisposable
            {
                private readonly Direction d;
                private readonly int parts;
                private readonly int chunkSteps;
                private readonly int[] unit;                     // parts + 1 boundaries in hidden units
                private readonly PackedMatrix<T>?[] whhPart;     // [part]: (G·units × out) rows of W_hh, gate after gate, packed by the part itself
                private readonly PackedMatrix<T>?[] wihPart;     // [part]: (G·units × input) rows of W_ih, likewise
                private readonly PackedDirectionWeights<T>.SplitPacks? kept; // the module's packed parts (RNNBase.PackWeights): borrowed, not disposed
                private readonly T[][] bih;                      // [part]: b_ih of the part's units, gate after gate (LSTM: + b_hh)
                private readonly T[][] bhh;                      // [part]: b_hh likewise
                private readonly T[][] xg;                       // [part]: (chunk rows × G·units) input projections
                private readonly T[][] hg;                       // [part]: (batch × G·units) W_hh h
                private readonly T[][] hPart;                    // [part]: (batch × units) the part's slice of h
                private readonly T[][] cPart;                    // [part]: (batch × units) LSTM: its slice of c
                private readonly long[] claimed;                 // [part · ClaimStride]: steps of the part's item claimed so far
                private long done;                               // items finished, all steps together
                private volatile bool failed;                    // an item threw: waiting participants stop

                /// <summary>Longs between two parts' claim words: each on its own 128-byte span, so claims do not share a line.</summary>
                private const int ClaimStride = 16;

                private UnitSplit(Direction d, int parts, int chunkSteps)
                {
                    this.d = d;
                    this.parts = parts;
                    this.chunkSteps = chunkSteps;
                    var r = d.r;
                    int h = r.hidden, g = r.g;
                    unit = new int[parts + 1];
                    for (var p = 0; p <= parts; p++)
                    {
                        // Boundaries on multiples of 16 units keep every part's gate pass on whole vectors where possible.
                        unit[p] = p == parts ? h : (int)((long)h * p / parts / 16 * 16);
                    }
                    claimed = new long[parts * ClaimStride];
                    kept = d.modulePacks?.Split(parts);
                    whhPart = kept?.Whh ?? new PackedMatrix<T>?[parts];
                    wihPart = kept?.Wih ?? new PackedMatrix<T>?[parts];
                    bih = new T[parts][];
                    bhh = new T[parts][];
                    xg = new T[parts][];
                    hg = new T[parts][];
                    hPart = new T[parts][];
                    cPart = new T[parts][];
                    var lay = r.layout;
                    var b = lay.Batch;
                    var chunkRows = 0;
                    for (var s0 = 0; s0 < lay.Steps; s0 += chunkSteps)
                    {
                        var s1 = Math.Min(lay.Steps, s0 + chunkSteps) - 1;
                        chunkRows = Math.Max(chunkRows, lay.Offsets[s1] + lay.BatchSizes[s1] - lay.Offsets[s0]);
                    }
                    var bi = d.bih.Span;
                    var bh = d.bhh.Span;
                    for (var p = 0; p < parts; p++)
                    {
                        int u0 = unit[p], n = unit[p + 1] - unit[p];
                        bih[p] = bi.IsEmpty ? [] : new T[g * n];
                        bhh[p] = bh.IsEmpty || r.lstm ? [] : new T[g * n];
                        for (var q = 0; q < g; q++)
                        {
                            var row = (q * h) + u0;
                            if (!bi.IsEmpty)
                            {
                                bi.Slice(row, n).CopyTo(bih[p].AsSpan(q * n));
                            }
                            if (!bh.IsEmpty && r.lstm)
                            {
                                // LSTM: b_ih + b_hh, added once per row by the projection (see Execute).
                                var sum = bih[p].AsSpan(q * n, n);
                                TensorPrimitives.Add(sum, bh.Slice(row, n), sum);
                            }
                            else if (!bh.IsEmpty)
                            {
                                bh.Slice(row, n).CopyTo(bhh[p].AsSpan(q * n));
                            }
                        }
                        xg[p] = Rent(chunkRows * g * n);
                        hg[p] = r.lstm ? [] : Rent(b * g * n);
                        hPart[p] = Rent(b * n);
                        cPart[p] = r.lstm ? Rent(b * n) : [];
                    }
                }

                /// <summary>The split for this call, or null when the call does not qualify (see <see cref="UnitSplitMinElements"/>).</summary>
                public static UnitSplit? TryCreate(Direction d, int chunkSteps)
                {
                    var parts = d.r.UnitSplitParts(d.save);
                    return parts > 1 ? new UnitSplit(d, parts, chunkSteps) : null;
                }

                /// <summary>Runs every step: one pool job whose participants share out each step's items.</summary>
                public void Run()
                {
                    // One participant per part; the pool runs at most MaxThreads of them at once, and a participant it
                    // starts after the others have finished finds every step done.
                    WorkerPool.Run(this, parts);
                    // c_n comes from the state (h_n from the output rows, see Finish).
                    var b = d.r.layout.Batch;
                    for (var p = 0; p < parts && d.r.lstm; p++)
                    {
                        int u0 = unit[p], n = unit[p + 1] - u0;
                        for (var i = 0; i < b; i++)
                        {
                            cPart[p].AsSpan(i * n, n).CopyTo(d.cState.AsSpan((i * d.r.hidden) + u0, n));
                        }
                    }
                }

                /// <summary>
                /// Participant <paramref name="participant"/>: for each step, claims and runs its own part's item and then
                /// any unclaimed one, then waits for the step's other items. A participant that starts late skips the
                /// steps already finished.
                /// </summary>
                public override void Execute(int participant)
                {
                    var steps = d.r.layout.Steps;
                    for (var s = (int)(Volatile.Read(ref done) / parts); s < steps; s++)
                    {
                        for (var k = 0; k < parts; k++)
                        {
                            var item = (participant + k) % parts;
                            ref var claim = ref claimed[item * ClaimStride];
                            if (Volatile.Read(ref claim) != s || Interlocked.CompareExchange(ref claim, s + 1, s) != s)
                            {
                                continue;
                            }
                            try
                            {
                                RunItem(s, item);
                            }
                            catch
                            {
                                failed = true;
                                throw;
                            }
                            Interlocked.Increment(ref done);
                        }
                        if (!WaitForStep((long)(s + 1) * parts))
                        {
                            return;
                        }
                    }
                }

                /// <summary>
                /// Waits until <paramref name="target"/> items are done: a plain spin first (a step's items end within
                /// microseconds of each other), yielding to the OS after about 50 µs. False when an item failed.
                /// </summary>
                private bool WaitForStep(long target)
                {
                    var spins = 0;
                    while (Volatile.Read(ref done) < target)
                    {
                        if (failed)
                        {
                            return false;
                        }
                        if (++spins < 2000)
                        {
                            Thread.SpinWait(1);
                        }
                        else
                        {
                            Thread.Yield();
                        }
                    }
                    return true;
                }

                /// <summary>Step <paramref name="s"/> for the units of part <paramref name="part"/>.</summary>
                private void RunItem(int s, int part)
                {
                    var r = d.r;
                    var lay = r.layout;
                    int g = r.g, h = r.hidden, inp = r.inputSize, hout = r.hout, u0 = unit[part], n = unit[part + 1] - u0;
                    var chunkStart = s - (s % chunkSteps);
                    var xs = xg[part];
                    var ys = d.yAll.Span;
                    var hs = hPart[part];
                    var cs = cPart[part];
                    if (s == 0)
                    {
                        // Each part packs its own rows in its first step's item, so the 6 MB of an LSTM 512's weights
                        // are packed on all threads at once instead of on the caller before the first step (with
                        // RNNBase.PackWeights, into the module's copies, once); and it takes its columns of h_0 and c_0.
                        whhPart[part] ??= PackRows(d.whh.Span, hout, u0, n);
                        wihPart[part] ??= PackRows(d.Wih.Span, inp, u0, n);
                        for (var i = 0; i < lay.Batch; i++)
                        {
                            d.hState.AsSpan((i * hout) + u0, n).CopyTo(hs.AsSpan(i * n));
                            if (r.lstm)
                            {
                                d.cState.AsSpan((i * h) + u0, n).CopyTo(cs.AsSpan(i * n));
                            }
                        }
                    }
                    var first = lay.Offsets[chunkStart];
                    if (s == chunkStart)
                    {
                        // This part's columns of the input projection for the chunk's rows (contiguous: one direction, forward).
                        var last = Math.Min(lay.Steps, s + chunkSteps) - 1;
                        var rows = lay.Offsets[last] + lay.BatchSizes[last] - first;
                        var x = r.xm.Span.Slice(first * inp, rows * inp);
                        var bi = bih[part];
                        for (var i = 0; i < rows && bi.Length > 0; i++)
                        {
                            bi.CopyTo(xs.AsSpan(i * g * n));
                        }
                        var beta = bi.Length > 0 ? T.One : T.Zero;
                        wihPart[part]!.MultiplyOnThisThread(rows, T.One, x, inp, beta, xs, g * n);
                    }
                    int bs = lay.BatchSizes[s], off = lay.Offsets[s];
                    // h_{t−1}: h_0, or the previous step's output rows (one forward direction without projection).
                    ReadOnlySpan<T> hp = s == 0 ? d.hState.AsSpan(0, bs * hout) : ys.Slice(lay.Offsets[s - 1] * hout, bs * hout);
                    var gt = xs.AsSpan((off - first) * g * n, bs * g * n);
                    // LSTM: W_hh·h accumulated onto the projected rows (their bias holds b_hh too); others: into hg.
                    var hgs = r.lstm ? gt : hg[part].AsSpan(0, bs * g * n);
                    // Alternate steps walk the panels in reverse, so the panels read last are read first.
                    whhPart[part]!.MultiplyOnThisThread(bs, T.One, hp, hout, r.lstm ? T.One : T.Zero, hgs, g * n, reverse: (s & 1) == 1);
                    var hOut = hs.AsSpan(0, bs * n);
                    var bh = bhh[part];
                    switch (r.mode)
                    {
                        case RecurrentMode.Lstm:
                            var c = cs.AsSpan(0, bs * n);
                            RecurrentKernels.LstmForward<T>(gt, default, default, c, default, c, hOut, bs, n);
                            break;
                        case RecurrentMode.Gru:
                            RecurrentKernels.GruForward<T>(gt, hgs, bh, hOut, default, default, hOut, bs, n);
                            break;
                        default:
                            RecurrentKernels.RnnForward<T>(r.mode == RecurrentMode.RnnRelu, gt, hgs, bh, hOut, bs, n);
                            break;
                    }
                    for (var i = 0; i < bs; i++)
                    {
                        hOut.Slice(i * n, n).CopyTo(ys.Slice(((off + i) * hout) + u0, n));
                    }
                }

                /// <summary>
                /// Packs the rows of <paramref name="w"/> <c>(G·H × cols)</c> that belong to units <c>[u0, u0 + n)</c> in
                /// every gate, gate after gate, as op(B) of a <c>(· × cols) · (cols × G·n)</c> product: the rows are
                /// gathered into a rented block first (one matrix, so a step is one product instead of one per gate).
                /// </summary>
                private PackedMatrix<T> PackRows(ReadOnlySpan<T> w, int cols, int u0, int n)
                {
                    int g = d.r.g, h = d.r.hidden;
                    var rows = Rent(g * n * cols);
                    try
                    {
                        for (var q = 0; q < g; q++)
                        {
                            w.Slice(((q * h) + u0) * cols, n * cols).CopyTo(rows.AsSpan(q * n * cols));
                        }
                        return PackedMatrix<T>.Pack(true, cols, g * n, rows.AsSpan(0, g * n * cols), cols);
                    }
                    finally
                    {
                        Return(ref rows);
                    }
                }

                public void Dispose()
                {
                    for (var p = 0; p < parts; p++)
                    {
                        if (kept is null)
                        {
                            whhPart[p]?.Dispose();
                            wihPart[p]?.Dispose();
                        }
                        Return(ref xg[p]);
                        Return(ref hg[p]);
                        Return(ref hPart[p]);
                        Return(ref cPart[p]);
                    }
                }
            }
        }
    }
}
