using Sequin.Kernels;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Sequin.Nn;

internal static partial class FusedRecurrentLayer
{
    /// <summary>
    /// Fewest W_hh elements (gates · hidden · hidden) for which inference on a single sequence splits the hidden units
    /// across threads (<see cref="Runner{T}.Direction.UnitSplit"/>): about 2 MB in float, where one step's product is
    /// bound by reading W_hh and a second core's cache bandwidth pays for the per-step synchronisation. Tests lower it
    /// to run the path on small layers. A batch is not held to it: there the split competes with row groups, which
    /// need the same amount of work (<see cref="ParallelThreshold"/>), and <see cref="UnitSplitBeatsRowGroups"/> decides.
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
    /// <paramref name="parts"/> counts every thread of the split: with row blocks (<see cref="RowBlocks"/>), parts ×
    /// blocks; at batch 64 with 16 threads, 8 parts × 2 blocks ran 1.24-1.55× as fast as the 16 row groups.
    /// </summary>
    internal static bool UnitSplitBeatsRowGroups(int batch, int parts, int threads)
        => parts > 2 && parts >= Math.Max(1, Math.Min(batch / MinGroupRows, threads));

    /// <summary>Fewest hidden units per thread in a unit split of a batch (a tunable for A/B timing).</summary>
    internal static int MinUnitsPerPart = 64;

    /// <summary>
    /// Fewest hidden units per thread in a unit split of a single sequence. It only matters with more threads than
    /// hidden / 64: an LSTM/GRU 512 at T = 1000 on 16 threads, 16 parts of 32 units against 8 of 64 (A/B, one process):
    /// LSTM 1.05× and 0.94×, GRU 1.19× and 1.10×; compare's B = 1 rows went from 14.1 to 8.9 ms (LSTM) and 9.4 to 7.4 ms
    /// (GRU) between two runs. 4 parts of 128 units were 0.76× as fast as 8.
    /// </summary>
    internal static int MinUnitsPerPartOneSequence = 32;

    /// <summary>
    /// Most row blocks of a unit split (no limit but a tunable for A/B timing): with more threads than parts, the batch
    /// rows are cut into blocks that run as independent unit splits side by side (each block's threads synchronise per
    /// step among themselves only), so every thread keeps its slice of W_hh in its own cache and runs a block's rows
    /// through it. Measured on a 16-core Xeon with 16 threads (T = 100, weights packed once, A/B in one process), 8 parts
    /// in 2 blocks against the 8 parts alone (before this rule batch 64 ran as 16 row groups instead): LSTM 512 at batch
    /// 64 1.32×, GRU 512 1.24×, LSTM 512 at batch 32 1.30×; against the 16 row groups at batch 64 1.55×. At batch 64,
    /// 4 parts × 4 blocks ran as fast as 8 × 2 (0.98×), and at batch 128, 8 × 2 as fast as 16 row groups (0.97×). With 4
    /// threads, 2 parts × 2 blocks was 0.93× as fast as 4 parts, which the rule keeps (blocks only take threads the parts leave).
    /// </summary>
    internal static int MaxRowBlocks = int.MaxValue;

    /// <summary>
    /// Fewest batch rows per row block of a unit split (see <see cref="MaxRowBlocks"/>). Against 16 (16-core Xeon, A/B):
    /// LSTM 512 at batch 8 on 16 threads 1.81× (8 parts × 2 blocks of 4 rows), at batch 16 with 8 rows 1.35×; LSTM 128
    /// at batch 8 1.16× on 16 threads and 1.28× on 4 (2 parts × 2 blocks against 2 row groups), at batch 16 1.14×;
    /// GRU 128 at batch 8 0.99×.
    /// </summary>
    internal static int MinBlockRows = 4;

    /// <summary>
    /// Row blocks for a unit split of <paramref name="parts"/> parts: as many as the threads left over allow, each of at
    /// least <see cref="MinBlockRows"/> rows, at most <see cref="MaxRowBlocks"/>.
    /// </summary>
    internal static int RowBlocks(int batch, int parts, int threads)
        => Math.Clamp(Math.Min(threads / Math.Max(1, parts), batch / MinBlockRows), 1, MaxRowBlocks);

    private sealed partial class Runner<T>
    {
        /// <summary>
        /// Parts (unit ranges) and row blocks of a unit split for this call (see <see cref="Direction.UnitSplit"/>);
        /// parts is 0 when it does not apply.
        /// </summary>
        private (int Parts, int Blocks) UnitSplitShape(bool save)
        {
            var threads = Parallelism.MaxThreads;
            var one = layout.Batch <= UnitSplitMaxBatch;
            var parts = Math.Min(threads, hidden / (one ? MinUnitsPerPartOneSequence : MinUnitsPerPart));
            var blocks = one ? 1 : RowBlocks(layout.Batch, parts, threads);
            // One sequence: against the product split on the caller's thread; a batch: against row groups.
            var fits = one
                ? (long)g * hidden * hout >= UnitSplitMinElements
                : Work >= ParallelThreshold && UnitSplitBeatsRowGroups(layout.Batch, parts * blocks, threads);
            // One part (one thread) qualifies where the fused projection applies: its steps then carry the projection.
            var qualifies = !save && dirs == 1 && proj == 0 && fits && layout.Steps >= PackMinSteps &&
                (parts > 1 || (parts == 1 && FusedApplies(layout.Batch, blocks, layout.Steps)));
            return qualifies ? (parts, blocks) : (0, 1);
        }

        private sealed partial class Direction
        {
            private UnitSplit? split;

            /// <summary>
            /// Inference on one sequence (see <see cref="UnitSplitMaxBatch"/>), or on a batch where it beats row groups (see
            /// <see cref="UnitSplitBeatsRowGroups"/>), with the hidden units split across threads; with threads to spare,
            /// the batch rows are cut into blocks that each run such a split of their own (see <see cref="MaxRowBlocks"/>).
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
            private sealed partial class UnitSplit : PoolWork, IDisposable
            {
                private readonly Direction d;
                private readonly int parts;
                private readonly int blocks;                     // row blocks, each an independent split of its rows
                private readonly int blockRows;                  // batch rows per block (the last may have fewer)
                private readonly int chunkSteps;
                private readonly int[] unit;                     // parts + 1 boundaries in hidden units
                private readonly PackedMatrix<T>?[] whhPart;     // [part]: (G·units × out) rows of W_hh, gate after gate, packed by the part itself
                private readonly PackedMatrix<T>?[] wihPart;     // [part]: (G·units × input) rows of W_ih, likewise
                private readonly PackedDirectionWeights<T>.SplitPacks? kept; // the module's packed parts (RNNBase.PackWeights): borrowed, not disposed
                private readonly T[][] bih;                      // [part]: b_ih of the part's units, gate after gate (LSTM: + b_hh)
                private readonly T[][] bhh;                      // [part]: b_hh likewise
                private readonly int chunkRows;                  // most packed rows in one chunk of steps
                private readonly T[][] xg;                       // [part]: (blocks × chunk rows × G·units) input projections, one area per block
                private readonly T[][] hg;                       // [part]: (batch × G·units) W_hh h
                private readonly T[][] hPart;                    // [part]: (batch × units) the part's slice of h
                private readonly T[][] cPart;                    // [part]: (batch × units) LSTM: its slice of c
                private readonly long[] claimed;                 // [(block · parts + part) · ClaimStride]: steps of the item claimed so far
                private readonly long[] done;                    // [block · ClaimStride]: the block's items finished, all steps together
                private readonly Lock[] packLock;                // [part]: the blocks' first items of a part pack its rows once
                private readonly bool fused;                     // one sequence: the next chunk's projection beside each step (FusedProjection)
                private readonly TileStream<T>[] stream;         // [part]: fused, the next chunk's projection so far
                private readonly int[] streamRow;                // [part]: fused, the packed row where that chunk starts
                private readonly T[][] acc;                      // [part]: fused, pinned room for the stream's partial sums
                private volatile bool failed;                    // an item threw: waiting participants stop

                /// <summary>Longs between two parts' claim words: each on its own 128-byte span, so claims do not share a line.</summary>
                private const int ClaimStride = 16;

                private UnitSplit(Direction d, int parts, int blocks, int chunkSteps)
                {
                    this.d = d;
                    this.parts = parts;
                    this.blocks = blocks;
                    var lay = d.r.layout;
                    // Fused, chunks of FusedChunkSteps: the first chunk's projection runs before the first step, the
                    // others beside the steps before them.
                    fused = FusedApplies(lay.Batch, blocks, lay.Steps);
                    this.chunkSteps = chunkSteps = fused ? FusedChunkSteps : chunkSteps;
                    if (fused)
                    {
                        Interlocked.Increment(ref FusedSplits);
                    }
                    var r = d.r;
                    int h = r.hidden, g = r.g;
                    unit = new int[parts + 1];
                    for (var p = 0; p <= parts; p++)
                    {
                        // Boundaries on multiples of 16 units keep every part's gate pass on whole vectors where possible.
                        unit[p] = p == parts ? h : (int)((long)h * p / parts / 16 * 16);
                    }
                    claimed = new long[blocks * parts * ClaimStride];
                    done = new long[blocks * ClaimStride];
                    packLock = new Lock[parts];
                    for (var p = 0; p < parts; p++)
                    {
                        packLock[p] = new Lock();
                    }
                    kept = d.modulePacks?.Split(parts);
                    whhPart = kept?.Whh ?? new PackedMatrix<T>?[parts];
                    wihPart = kept?.Wih ?? new PackedMatrix<T>?[parts];
                    bih = new T[parts][];
                    bhh = new T[parts][];
                    xg = new T[parts][];
                    stream = new TileStream<T>[parts];
                    streamRow = new int[parts];
                    acc = new T[parts][];
                    hg = new T[parts][];
                    hPart = new T[parts][];
                    cPart = new T[parts][];
                    var b = lay.Batch;
                    blockRows = (b + blocks - 1) / blocks;
                    chunkRows = 0;
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
                        // One area per block: blocks run unsynchronised, and with packed lengths a block that starts the
                        // next chunk would otherwise overwrite rows another block still reads.
                        // Fused: two areas, the chunk being run and the next one being projected.
                        xg[p] = Rent((fused ? 2 : blocks) * chunkRows * g * n);
                        acc[p] = fused ? BufferPool<T>.Pinned.Rent(16 * 16) : [];
                        hg[p] = r.lstm ? [] : Rent(b * g * n);
                        hPart[p] = Rent(b * n);
                        cPart[p] = r.lstm ? Rent(b * n) : [];
                    }
                }

                /// <summary>The split for this call, or null when the call does not qualify (see <see cref="UnitSplitMinElements"/>).</summary>
                public static UnitSplit? TryCreate(Direction d, int chunkSteps)
                {
                    var (parts, blocks) = d.r.UnitSplitShape(d.save);
                    return parts > 0 ? new UnitSplit(d, parts, blocks, chunkSteps) : null;
                }

                /// <summary>Runs every step: one pool job whose participants share out each step's items.</summary>
                public void Run()
                {
                    // One participant per (block, part); the pool runs at most MaxThreads of them at once, and a
                    // participant it starts after the others of its block have finished finds every step done.
                    WorkerPool.Run(this, blocks * parts);
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
                /// Participant <paramref name="participant"/> (block <c>participant / parts</c>): for each step, claims and
                /// runs its own part's item of its block and then any unclaimed one of the block, then waits for the
                /// block's other items of the step. A participant that starts late skips the steps already finished.
                /// </summary>
                public override void Execute(int participant)
                {
                    var steps = d.r.layout.Steps;
                    var block = participant / parts;
                    ref var finished = ref done[block * ClaimStride];
                    for (var s = (int)(Volatile.Read(ref finished) / parts); s < steps; s++)
                    {
                        for (var k = 0; k < parts; k++)
                        {
                            var part = (participant + k) % parts;
                            ref var claim = ref claimed[((block * parts) + part) * ClaimStride];
                            if (Volatile.Read(ref claim) != s || Interlocked.CompareExchange(ref claim, s + 1, s) != s)
                            {
                                continue;
                            }
                            try
                            {
                                RunItem(s, part, block);
                            }
                            catch
                            {
                                failed = true;
                                throw;
                            }
                            Interlocked.Increment(ref finished);
                        }
                        if (!WaitForStep(ref finished, (long)(s + 1) * parts))
                        {
                            return;
                        }
                    }
                }

                /// <summary>
                /// Waits until <paramref name="target"/> items are done: a plain spin first (a step's items end within
                /// microseconds of each other), yielding to the OS after about 50 µs. False when an item failed.
                /// </summary>
                private bool WaitForStep(ref long finished, long target)
                {
                    var spins = 0;
                    while (Volatile.Read(ref finished) < target)
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

                /// <summary>Step <paramref name="s"/> for the units of part <paramref name="part"/> and the rows of block <paramref name="block"/>.</summary>
                private void RunItem(int s, int part, int block)
                {
                    var r = d.r;
                    var lay = r.layout;
                    int g = r.g, h = r.hidden, inp = r.inputSize, hout = r.hout, u0 = unit[part], n = unit[part + 1] - u0;
                    int r0 = block * blockRows, r1 = Math.Min(lay.Batch, r0 + blockRows);
                    var chunkStart = s - (s % chunkSteps);
                    var xs = xg[part];
                    var ys = d.yAll.Span;
                    var hs = hPart[part];
                    var cs = cPart[part];
                    if (s == 0)
                    {
                        // Each part packs its own rows in its first step's item (the first block to get there), so the
                        // 6 MB of an LSTM 512's weights are packed on all threads at once instead of on the caller before
                        // the first step (with RNNBase.PackWeights, into the module's copies, once); and each item takes
                        // its columns of h_0 and c_0 for its rows.
                        if (whhPart[part] is null || wihPart[part] is null)
                        {
                            lock (packLock[part])
                            {
                                whhPart[part] ??= PackRows(d.whh.Span, hout, u0, n);
                                wihPart[part] ??= PackRows(d.Wih.Span, inp, u0, n);
                            }
                        }
                        for (var i = r0; i < r1; i++)
                        {
                            d.hState.AsSpan((i * hout) + u0, n).CopyTo(hs.AsSpan(i * n));
                            if (r.lstm)
                            {
                                d.cState.AsSpan((i * h) + u0, n).CopyTo(cs.AsSpan(i * n));
                            }
                        }
                    }
                    var first = lay.Offsets[chunkStart];
                    // The block's area of the chunk buffer; fused, the chunks alternate between two areas.
                    var area = fused ? (s / chunkSteps) & 1 : block;
                    if (s == chunkStart)
                    {
                        // This part's columns of the input projection for the chunk's rows of the block: one product when
                        // the block holds every row (the chunk's rows are then contiguous), else one per step; fused,
                        // what the previous chunk's steps left of it, and the next chunk's projection starts.
                        var last = Math.Min(lay.Steps, s + chunkSteps) - 1;
                        var chunkRowCount = lay.Offsets[last] + lay.BatchSizes[last] - first;
                        if (fused && s > 0)
                        {
                            FinishStream(part, area, first, chunkRowCount);
                        }
                        else if (r0 == 0 && r1 == lay.Batch)
                        {
                            Project(part, first, chunkRowCount, area, 0);
                        }
                        else
                        {
                            for (var t = s; t <= last; t++)
                            {
                                Project(part, lay.Offsets[t] + r0, Math.Min(r1, lay.BatchSizes[t]) - r0, block, lay.Offsets[t] + r0 - first);
                            }
                        }
                        if (fused && last + 1 < lay.Steps)
                        {
                            StartStream(part, last + 1, area ^ 1);
                        }
                    }
                    int off = lay.Offsets[s], rows = Math.Min(r1, lay.BatchSizes[s]) - r0;
                    if (rows <= 0)
                    {
                        return;
                    }
                    // h_{t−1}: h_0, or the previous step's output rows (one forward direction without projection).
                    ReadOnlySpan<T> hp = s == 0 ? d.hState.AsSpan(r0 * hout, rows * hout) : ys.Slice((lay.Offsets[s - 1] + r0) * hout, rows * hout);
                    var gt = xs.AsSpan(((area * chunkRows) + off + r0 - first) * g * n, rows * g * n);
                    // LSTM: W_hh·h accumulated onto the projected rows (their bias holds b_hh too); others: into hg.
                    var hgs = r.lstm ? gt : hg[part].AsSpan(r0 * g * n, rows * g * n);
                    // Alternate steps walk the panels in reverse, so the panels read last are read first.
                    if (fused && !stream[part].Done)
                    {
                        StepWithStream(part, hp, r.lstm ? T.One : T.Zero, hgs, reverse: (s & 1) == 1);
                    }
                    else
                    {
                        whhPart[part]!.MultiplyOnThisThread(rows, T.One, hp, hout, r.lstm ? T.One : T.Zero, hgs, g * n, reverse: (s & 1) == 1);
                    }
                    var hOut = hs.AsSpan(r0 * n, rows * n);
                    var bh = bhh[part];
                    switch (r.mode)
                    {
                        case RecurrentMode.Lstm:
                            var c = cs.AsSpan(r0 * n, rows * n);
                            RecurrentKernels.LstmForward<T>(gt, default, default, c, default, c, hOut, rows, n);
                            break;
                        case RecurrentMode.Gru:
                            RecurrentKernels.GruForward<T>(gt, hgs, bh, hOut, default, default, hOut, rows, n);
                            break;
                        default:
                            RecurrentKernels.RnnForward<T>(r.mode == RecurrentMode.RnnRelu, gt, hgs, bh, hOut, rows, n);
                            break;
                    }
                    for (var i = 0; i < rows; i++)
                    {
                        hOut.Slice(i * n, n).CopyTo(ys.Slice(((off + r0 + i) * hout) + u0, n));
                    }
                }

                /// <summary>
                /// Part <paramref name="part"/>'s columns of <c>x·W_ihᵀ + b_ih</c> (LSTM: + b_hh) for the <paramref name="rows"/>
                /// packed rows from <paramref name="row"/>, into block <paramref name="block"/>'s area of its chunk buffer
                /// from row <paramref name="at"/>.
                /// </summary>
                private void Project(int part, int row, int rows, int block, int at)
                {
                    if (rows <= 0)
                    {
                        return;
                    }
                    int gn = d.r.g * (unit[part + 1] - unit[part]), inp = d.r.inputSize;
                    var x = d.r.xm.Span.Slice(row * inp, rows * inp);
                    var dst = xg[part].AsSpan(((block * chunkRows) + at) * gn, rows * gn);
                    var bi = bih[part];
                    for (var i = 0; i < rows && bi.Length > 0; i++)
                    {
                        bi.CopyTo(dst[(i * gn)..]);
                    }
                    var beta = bi.Length > 0 ? T.One : T.Zero;
                    wihPart[part]!.MultiplyOnThisThread(rows, T.One, x, inp, beta, dst, gn);
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
                        if (acc[p].Length > 0)
                        {
                            BufferPool<T>.Pinned.Return(acc[p]);
                            acc[p] = [];
                        }
                    }
                }
            }
        }
    }
}
