using System.Buffers;
using System.Numerics;
using Sequin.Autograd;
using Sequin.Kernels;
using Sequin.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Sequin.Nn;

/// <summary>The recurrence of a layer, as in PyTorch's <c>mode</c> string.</summary>
internal enum RecurrentMode
{
    RnnTanh,
    RnnRelu,
    Lstm,
    Gru,
}

/// <summary>The parameters of one direction of one layer.</summary>
internal sealed record DirectionWeights(Tensor Wih, Tensor Whh, Tensor? Bih, Tensor? Bhh, Tensor? Whr)
{
    /// <summary>
    /// The <see cref="PackedDirectionWeights{T}"/> of the module's dtype made by <see cref="RNNBase.PackWeights"/>, which
    /// inference calls use instead of packing W_ih and W_hh themselves; null when the weights are not packed.
    /// </summary>
    public IDisposable? Packed { get; set; }

    public IEnumerable<Tensor> All()
    {
        yield return Wih;
        yield return Whh;
        if (Bih is not null)
        {
            yield return Bih;
        }
        if (Bhh is not null)
        {
            yield return Bhh;
        }
        if (Whr is not null)
        {
            yield return Whr;
        }
    }
}

/// <summary>
/// The time layout every layer runs on: packed, time-major rows. Step t owns rows
/// <c>Offsets[t] .. Offsets[t] + BatchSizes[t] − 1</c> of the <c>(N, features)</c> data; an unpacked
/// <c>(T, B, ·)</c> input is the special case where every batch size is B. Sequences are sorted by length
/// (longest first), so the active rows of a step are always the first ones; <see cref="Sorted"/> maps a sorted
/// position to the caller's batch index (null = identity), and is applied to h_0/h_n/c_0/c_n only.
/// </summary>
internal sealed class TimeLayout
{
    public TimeLayout(int[] batchSizes, int[]? sorted)
    {
        BatchSizes = batchSizes;
        Offsets = new int[batchSizes.Length];
        var n = 0;
        for (var t = 0; t < batchSizes.Length; t++)
        {
            Offsets[t] = n;
            n += batchSizes[t];
        }
        Rows = n;
        Batch = batchSizes.Length == 0 ? 0 : batchSizes[0];
        Sorted = sorted;
    }

    public static TimeLayout Dense(int steps, int batch) => new(Enumerable.Repeat(batch, steps).ToArray(), null);

    public int[] BatchSizes { get; }

    public int[] Offsets { get; }

    public int Steps => BatchSizes.Length;

    public int Rows { get; }

    public int Batch { get; }

    public int[]? Sorted { get; }

    public int CallerIndex(int sortedPosition) => Sorted is null ? sortedPosition : Sorted[sortedPosition];
}

/// <summary>
/// The fused fast path of one layer (both directions): a single autograd node whose forward runs the
/// per-direction recurrences on raw spans (one GEMM for all input projections, one small GEMM plus one fused
/// gate pass per step) and whose backward runs BPTT with a fused gate-backward pass per step and one large GEMM
/// each for dW_ih, dW_hh, dX (and dW_hr) after the loop. See docs/rnn-backward.md.
/// </summary>
internal static partial class FusedRecurrentLayer
{
    /// <summary>
    /// Runs one layer. <paramref name="x"/>: <c>(N, input)</c> rows in <paramref name="layout"/>;
    /// <paramref name="h0"/>: <c>(D, B, out)</c> and <paramref name="c0"/>: <c>(D, B, hidden)</c> in the caller's
    /// batch order. Returns <c>Y (N, D·out)</c>, <c>h_n (D, B, out)</c>, <c>c_n (D, B, hidden)</c> (LSTM only).
    /// </summary>
    public static (Tensor Y, Tensor HN, Tensor? CN) Forward(RecurrentMode mode, Tensor x, TimeLayout layout, Tensor h0, Tensor? c0,
        IReadOnlyList<DirectionWeights> weights, int hidden, int proj)
        => x.DType == DType.Float64
            ? new Runner<double>(mode, x, layout, h0, c0, weights, hidden, proj).Run()
            : new Runner<float>(mode, x, layout, h0, c0, weights, hidden, proj).Run();

    internal static int GateCount(RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => 4,
        RecurrentMode.Gru => 3,
        _ => 1,
    };

    private static Memory<T> Mem<T>(Tensor t)
        where T : unmanaged
    {
        var c = t.IsContiguous ? t : t.DetachedCopy();
        return new Memory<T>(c.Data<T>(), c.Offset, c.Numel);
    }

    /// <summary>
    /// Work (rows · gates · hidden · (input + output)) above which directions or row groups run on several threads:
    /// about 1 ms of arithmetic, so that waking a sleeping worker (tens of µs) never dominates. The tiny
    /// lstm_l2_bi_i16_h32_t7_b3 benchmark (1.3·10⁵) ran 2× slower when its directions were split.
    /// </summary>
    private const long ParallelThreshold = 1L << 21;

    /// <summary>
    /// Fewest batch rows per independent row group. Groups of four rows (the in-place few-row kernel) still pay: against
    /// one group of the whole batch (the limit was 16), an LSTM 128 at batch 8 ran 1.38-1.41× as fast, at batch 12
    /// 1.62×, at batch 16 1.56×, an LSTM 512 at batch 8 and 16 1.19× and 1.16×, a GRU 128 at batch 8 1.33× (A/B, one
    /// process). Groups of two rows (batch 4) were 4% slower than one group.
    /// </summary>
    private const int MinGroupRows = 4;

    /// <summary>
    /// Whether the training backward runs by the forward's row groups (each group's BPTT on its own thread, the gate
    /// backward included, no synchronisation between steps) instead of one group whose per-step product dG·W_hh is split
    /// across threads while the gate backward runs on the caller alone. A tunable for A/B timing (`layer … train` with
    /// SEQUIN_AB=BWGROUPS=0,1). Two cores, 2 threads, backward medians of 20 A/B steps: LSTM 512 at T = 100, batch 64
    /// 203 → 193 ms, GRU 154 → 142 ms; the d2l shape (LSTM 256 on 28 inputs, batch 32 × 35) 10.4–12.3 → 10.5–10.9 ms,
    /// GRU 9.9 → 9.6 ms. Groups need <see cref="MinBackwardGroupRows"/> rows each.
    /// </summary>
    internal static bool BackwardRowGroups = true;

    /// <summary>
    /// Fewest rows per row group in the training backward; smaller groups fall back to one group with the per-step
    /// product split by columns. Not measured on many cores, so a judgment from inference there: on a 16-core Xeon,
    /// groups of 4 rows that each stream all of W_hh per step lost to splits that keep a slice of W_hh per core
    /// (<see cref="MaxRowBlocks"/>), and the column split keeps a slice per core; at 16 rows or more (2 threads at
    /// batch 32 and 64, measured) each panel of W_hh feeds two full 8-row tiles. A tunable, so that a many-core machine
    /// can time both (`layer … train` or `lm` with SEQUIN_AB=BWMINROWS=16,4).
    /// </summary>
    internal static int MinBackwardGroupRows = 16;

    /// <summary>Rows of input projection computed at once in inference (one GEMM per chunk of steps).</summary>
    internal static int ChunkRows = 256;

    /// <summary>Fewest time steps for which W_hh is packed once for the whole call.</summary>
    private const int PackMinSteps = 4;

    private sealed partial class Runner<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly RecurrentMode mode;
        private readonly Tensor x;
        private readonly TimeLayout layout;
        private readonly Tensor h0;
        private readonly Tensor? c0;
        private readonly IReadOnlyList<DirectionWeights> weights;
        private readonly int hidden;
        private readonly int proj;
        private readonly int hout;
        private readonly int g;
        private readonly int dirs;
        private readonly int inputSize;
        private readonly bool lstm;
        private readonly Memory<T> xm;
        private readonly Memory<T> h0m;
        private readonly Memory<T> c0m;
        private readonly Direction[] dir;

        public Runner(RecurrentMode mode, Tensor x, TimeLayout layout, Tensor h0, Tensor? c0, IReadOnlyList<DirectionWeights> weights, int hidden, int proj)
        {
            this.mode = mode;
            this.x = x;
            this.layout = layout;
            this.h0 = h0;
            this.c0 = c0;
            this.weights = weights;
            this.hidden = hidden;
            this.proj = proj;
            hout = proj > 0 ? proj : hidden;
            g = GateCount(mode);
            dirs = weights.Count;
            inputSize = x.Size(1);
            lstm = mode == RecurrentMode.Lstm;
            xm = Mem<T>(x);
            h0m = Mem<T>(h0);
            c0m = c0 is null ? Memory<T>.Empty : Mem<T>(c0);
            dir = new Direction[dirs];
            for (var d = 0; d < dirs; d++)
            {
                dir[d] = new Direction(this, d, weights[d]);
            }
        }

        private long Work => (long)layout.Rows * g * hidden * (inputSize + hout);

        /// <summary>
        /// The saved activations of a training forward are rented from <see cref="BufferPool{T}.Large"/> (about 150 MB
        /// for an LSTM 512 at T = 100, B = 64; allocated fresh, every page of them was a page fault, which made the
        /// training forward four times slower than inference). The autograd node calls this after its backward unless
        /// the graph is retained (PyTorch's retain_graph), so the next forward reuses the same memory.
        /// </summary>
        private void ReleaseSaved()
        {
            foreach (var d in dir)
            {
                d.ReturnSaved();
            }
            GC.SuppressFinalize(this);
        }

        /// <summary>A graph dropped without a backward (or kept with retainGraph) gives its buffers back when collected.</summary>
        ~Runner()
        {
            // A constructor that threw leaves dir (or some of its entries) unset.
            foreach (var d in dir ?? [])
            {
                d?.ReturnSaved();
            }
        }

        /// <summary>Every tensor the fused node differentiates, in the order its backward returns gradients.</summary>
        private Tensor[] Inputs()
        {
            var inputs = new List<Tensor> { x, h0 };
            if (c0 is not null)
            {
                inputs.Add(c0);
            }
            foreach (var w in weights)
            {
                inputs.AddRange(w.All());
            }
            return [.. inputs];
        }

        /// <summary>Runs <paramref name="action"/>(0 .. parts−1) on the worker pool when the layer is large enough, else in order.</summary>
        private void ForEach(int parts, Action<int> action)
        {
            if (parts > 1 && Work >= ParallelThreshold && Parallelism.MaxThreads > 1)
            {
                WorkerPool.Run(new ActionWork(action), parts);
            }
            else
            {
                for (var p = 0; p < parts; p++)
                {
                    action(p);
                }
            }
        }

        private void ForEachDirection(Action<Direction> action) => ForEach(dirs, i => action(dir[i]));

        /// <summary>
        /// Batch rows per independent group: sequences of a batch never interact, so each group of rows runs the whole
        /// recurrence on its own thread with no synchronisation between steps.
        /// </summary>
        private int GroupsPerDirection(bool save)
        {
            var threads = Parallelism.MaxThreads;
            if (threads <= 1 || Work < ParallelThreshold || UnitSplitShape(save).Parts > 0)
            {
                return 1;
            }
            var byRows = layout.Batch / MinGroupRows;
            return Math.Max(1, Math.Min(byRows, threads / dirs));
        }

        public (Tensor Y, Tensor HN, Tensor? CN) Run()
        {
            var n = layout.Rows;
            var b = layout.Batch;
            var ySize = n * dirs * hout;
            var hnSize = dirs * b * hout;
            var cnSize = lstm ? dirs * b * hidden : 0;
            var flat = Tensor.Uninitialized([ySize + hnSize + cnSize], x.DType);
            var fm = new Memory<T>(flat.Data<T>(), 0, flat.Numel);
            var inputArray = Inputs();
            // Backward can only be called when grad mode is on and some input requires grad; otherwise nothing is saved.
            var save = NoGrad.IsGradEnabled && inputArray.Any(t => t.RequiresGrad);
            var steps = layout.Steps;
            var groups = GroupsPerDirection(save);
            var units = dirs * groups;
            var rowsPerGroup = (b + groups - 1) / groups;
            // Inference projects the inputs a chunk of steps at a time (the chunk stays in cache); training keeps them all.
            var chunk = save ? Math.Max(1, steps) : Math.Clamp(ChunkRows / Math.Max(1, rowsPerGroup), 1, Math.Max(1, steps));
            try
            {
                foreach (var d in dir)
                {
                    d.Begin(save, chunk, fm[..ySize], groups, rowsPerGroup);
                }
                if (save)
                {
                    ForEachDirection(d => d.ProjectInputs());
                    ForEach(units, u =>
                    {
                        var g0 = (u % groups) * rowsPerGroup;
                        dir[u / groups].RunSteps(0, steps, g0, Math.Min(b, g0 + rowsPerGroup), default);
                    });
                }
                else
                {
                    // Each (direction, row group) unit projects its own inputs chunk by chunk and runs its steps on one
                    // thread: one parallel job per layer call, no synchronisation between chunks or steps.
                    ForEach(units, u =>
                    {
                        var g0 = (u % groups) * rowsPerGroup;
                        dir[u / groups].RunChunks(u % groups, chunk, g0, Math.Min(b, g0 + rowsPerGroup));
                    });
                }
                foreach (var d in dir)
                {
                    d.Finish(fm.Slice(ySize, hnSize), fm.Slice(ySize + hnSize, cnSize));
                }
            }
            finally
            {
                foreach (var d in dir)
                {
                    d.ReleaseScratch();
                }
            }

            if (!save)
            {
                GC.SuppressFinalize(this);
            }
            else
            {
                flat = Tensor.Record(flat, lstm ? "LstmFusedBackward" : mode == RecurrentMode.Gru ? "GruFusedBackward" : "RnnFusedBackward",
                    inputArray, grad => Backward(grad, inputArray.Length), ReleaseSaved);
            }
            var y = flat.Narrow(0, 0, ySize).View(n, dirs * hout);
            var hn = flat.Narrow(0, ySize, hnSize).View(dirs, b, hout);
            var cn = lstm ? flat.Narrow(0, ySize + hnSize, cnSize).View(dirs, b, hidden) : null;
            return (y, hn, cn);
        }

        private Tensor?[] Backward(Tensor grad, int inputCount)
        {
            var n = layout.Rows;
            var b = layout.Batch;
            var ySize = n * dirs * hout;
            var hnSize = dirs * b * hout;
            var cnSize = lstm ? dirs * b * hidden : 0;
            Memory<T> gm = Mem<T>(grad);
            var dx = x.RequiresGrad ? Tensor.Uninitialized([n, inputSize], x.DType) : null;
            var dh0 = Tensor.Zeros(h0.ShapeArray, x.DType);
            var dc0 = c0 is null ? null : Tensor.Zeros(c0.ShapeArray, x.DType);
            var dWeights = new Tensor[dirs][];
            foreach (var d in dir)
            {
                d.BeginBackward(gm[..ySize], gm.Slice(ySize, hnSize), gm.Slice(ySize + hnSize, cnSize));
            }
            // The row groups of the forward (rows never interact); one group per direction splits each step's product.
            var groups = GroupsPerDirection(save: true);
            if (!BackwardRowGroups || b / groups < MinBackwardGroupRows)
            {
                groups = 1;
            }
            var rowsPerGroup = (b + groups - 1) / groups;
            ForEach(dirs * groups, u =>
            {
                var g0 = (u % groups) * rowsPerGroup;
                dir[u / groups].BackwardSteps(g0, Math.Min(b, g0 + rowsPerGroup));
            });
            ForEachDirection(d => dWeights[d.Index] = d.FinishBackward(Mem<T>(dh0), dc0 is null ? Memory<T>.Empty : Mem<T>(dc0)));
            for (var d = 0; d < dirs && dx is not null; d++)
            {
                // dX += dG_ih · W_ih: (N × G·H) · (G·H × I); the first direction's product overwrites dx (beta = 0).
                Gemm.Compute(false, false, n, inputSize, g * hidden, T.One, dir[d].DGi.AsSpan(), g * hidden,
                    dir[d].Wih.Span, inputSize, d == 0 ? T.Zero : T.One, Mem<T>(dx).Span, inputSize);
            }
            foreach (var d in dir)
            {
                d.ReturnBackwardScratch();
            }
            var result = new Tensor?[inputCount];
            result[0] = dx;
            result[1] = dh0;
            var k = 2;
            if (c0 is not null)
            {
                result[k++] = dc0;
            }
            foreach (var dw in dWeights)
            {
                foreach (var t in dw)
                {
                    result[k++] = t;
                }
            }
            return result;
        }

        /// <summary>One direction's parameters, saved activations and scratch buffers.</summary>
        private sealed partial class Direction
        {
            private readonly Runner<T> r;
            private readonly DirectionWeights w;
            private readonly Memory<T> whh;
            private readonly Memory<T> bih;
            private readonly Memory<T> bhh;
            private readonly Memory<T> whr;

            // Saved for backward, one row per packed row.
            private T[] gates = [];   // (N, G·H): input projection, overwritten by the activated gates
            private T[] hprev = [];   // (N, out): h_{t−1} of each row
            private T[] hraw = [];    // (N, H): h before the projection (RNN: the activation)
            private T[] cprev = [];   // (N, H) LSTM
            private T[] cells = [];   // (N, H) LSTM: c_t
            private T[] hn = [];      // (N, H) GRU: W_hn h + b_hn

            public Direction(Runner<T> runner, int index, DirectionWeights weights)
            {
                r = runner;
                Index = index;
                w = weights;
                Wih = Mem<T>(weights.Wih);
                whh = Mem<T>(weights.Whh);
                bih = weights.Bih is null ? Memory<T>.Empty : Mem<T>(weights.Bih);
                bhh = weights.Bhh is null ? Memory<T>.Empty : Mem<T>(weights.Bhh);
                whr = weights.Whr is null ? Memory<T>.Empty : Mem<T>(weights.Whr);
            }

            public int Index { get; }

            public Memory<T> Wih { get; }

            /// <summary>∂L/∂(input gate pre-activations) of the last backward, (N, G·H); rented until <see cref="ReturnBackwardScratch"/>.</summary>
            public T[] DGi { get; private set; } = [];

            private T[] dgh = []; // GRU: ∂L/∂(W_hh h + b_hh), (N, G·H); other modes: DGi

            /// <summary>Gives back the gradient rows kept for the runner's dX product.</summary>
            public void ReturnBackwardScratch()
            {
                if (!ReferenceEquals(dgh, DGi))
                {
                    Return(ref dgh);
                }
                dgh = [];
                var dgi = DGi;
                Return(ref dgi);
                DGi = [];
            }

            /// <summary>Gives back the saved activations: after the backward that used them, or from the runner's finalizer.</summary>
            public void ReturnSaved()
            {
                Return(ref gates);
                Return(ref hprev);
                Return(ref hraw);
                Return(ref cprev);
                Return(ref cells);
                Return(ref hn);
            }

            private bool Reverse => Index == 1;

            private int StepTime(int s) => Reverse ? r.layout.Steps - 1 - s : s;

            /// <summary>
            /// Inference of a single forward direction without projection: each step's h is written straight into the
            /// output rows and read back from there as h_{t−1}, instead of being kept in a state buffer and copied out
            /// (one copy of the whole output per call). Output rows are then contiguous: row stride = hidden.
            /// </summary>
            private bool Direct => !save && r.dirs == 1 && r.proj == 0 && r.layout.Steps > 0;

            /// <summary>
            /// LSTM inference by row groups: the projection writes x·W_ihᵀ alone (no bias rows to fill and read back: 52 MB
            /// of writes per call at T=100, B=64), each step's W_hh·h is accumulated onto the step's projected rows, and the
            /// gate pass adds b_ih + b_hh: it reads one (rows × 4H) array instead of two and stores no gates.
            /// </summary>
            private bool Summed => !save && r.lstm;

            // Forward state of one call.
            private bool save;
            private Memory<T> yAll;
            private T[] hState = [];  // (B, out) rented
            private T[] cState = [];  // (B, H) rented, LSTM
            private T[] hg = [];      // (B, G·H) rented: W_hh h
            private T[] biasSum = []; // (G·H) rented, LSTM inference by row groups: b_ih + b_hh
            private T[] hrTmp = [];   // (B, H) rented, LSTM projection inference: h before W_hr
            private T[][] xgGroup = [];  // inference, per row group: (chunk rows, G·H) rented input projections
            private T[][] xinGroup = []; // inference, per row group: (chunk rows, input) the group's input rows, gathered
            private PackedMatrix<T>? whhPacked;
            private PackedMatrix<T>? wihPacked;
            private PackedDirectionWeights<T>? modulePacks; // the module's packs this call borrows (not disposed here)

            /// <summary>Arrays of at least this many elements come from <see cref="BufferPool{T}.Large"/>, smaller ones from <see cref="ArrayPool{T}.Shared"/>.</summary>
            private const int LargeBuffer = 1 << 16;

            private static T[] Rent(int length) => length == 0 ? []
                : length >= LargeBuffer ? BufferPool<T>.Large.Rent(length)
                : ArrayPool<T>.Shared.Rent(length);

            private static void Return(ref T[] buffer)
            {
                if (buffer.Length >= LargeBuffer)
                {
                    BufferPool<T>.Large.Return(buffer);
                }
                else if (buffer.Length > 0)
                {
                    ArrayPool<T>.Shared.Return(buffer);
                }
                buffer = [];
            }

            /// <summary>Allocates the saved activations (training) or rents scratch (inference), packs weights and loads h_0/c_0.</summary>
            public void Begin(bool saveForBackward, int chunkSteps, Memory<T> y, int groups, int rowsPerGroup)
            {
                var lay = r.layout;
                int n = lay.Rows, b = lay.Batch, h = r.hidden, hout = r.hout, gh = r.g * h;
                save = saveForBackward;
                yAll = y;
                // Weights the module packed once (RNNBase.PackWeights) replace this call's own packing in inference, when
                // they were packed for the instruction set in use; training reads the live weights.
                modulePacks = !save && w.Packed is PackedDirectionWeights<T> p && p.Whh.Isa == Simd.Current ? p : null;
                if (save)
                {
                    gates = Rent(n * gh);
                    hprev = Rent(n * hout);
                    hraw = Rent(n * h);
                    if (r.lstm)
                    {
                        cprev = Rent(n * h);
                        cells = Rent(n * h);
                    }
                    if (r.mode == RecurrentMode.Gru)
                    {
                        hn = Rent(n * h);
                    }
                }
                else
                {
                    // A unit split keeps its own projections, products and GRU scratch per thread.
                    split = UnitSplit.TryCreate(this, chunkSteps);
                }
                if (!save && split is null)
                {
                    var maxRows = Math.Min(chunkSteps, lay.Steps) * Math.Min(rowsPerGroup, b);
                    xgGroup = new T[groups][];
                    xinGroup = new T[groups][];
                    for (var i = 0; i < groups; i++)
                    {
                        xgGroup[i] = Rent(maxRows * gh);
                        xinGroup[i] = Rent(maxRows * r.inputSize);
                    }
                    if (Summed && !bih.IsEmpty)
                    {
                        // b_ih + b_hh, added by the gate pass (PyTorch adds b_ih to x·W_ih and b_hh to W_hh·h: the sums
                        // differ only in rounding order).
                        biasSum = Rent(gh);
                        var bs = biasSum.AsSpan(0, gh);
                        bih.Span.CopyTo(bs);
                        TensorPrimitives.Add(bs, bhh.Span, bs);
                    }
                    hrTmp = r.proj > 0 ? Rent(b * h) : [];
                    if (chunkSteps < lay.Steps || groups > 1)
                    {
                        wihPacked = modulePacks?.Wih ?? PackedMatrix<T>.Pack(true, r.inputSize, gh, Wih.Span, r.inputSize);
                    }
                }
                hState = Rent(b * hout);
                cState = r.lstm ? Rent(b * h) : [];
                hg = split is null && !Summed ? Rent(b * gh) : [];
                // W_hh is packed once per call: each step then reads it as contiguous panels (one row: a matrix-vector
                // product without horizontal sums, measured 1.5-2.8x faster than dot products on the rows of W_hh).
                if (lay.Steps >= PackMinSteps && split is null)
                {
                    whhPacked = modulePacks?.Whh ?? PackedMatrix<T>.Pack(true, hout, gh, whh.Span, hout);
                }

                var h0s = r.h0m.Span;
                var c0s = r.c0m.Span;
                for (var i = 0; i < b; i++)
                {
                    var src = (Index * b + lay.CallerIndex(i)) * hout;
                    h0s.Slice(src, hout).CopyTo(hState.AsSpan(i * hout, hout));
                    if (r.lstm)
                    {
                        var cs = (Index * b + lay.CallerIndex(i)) * h;
                        c0s.Slice(cs, h).CopyTo(cState.AsSpan(i * h, h));
                    }
                }
            }

            /// <summary>Training: X·W_ihᵀ + b_ih for every row, into the saved gates.</summary>
            public void ProjectInputs() => Project(r.xm.Span, r.layout.Rows, gates);

            /// <summary><c>dst = xs · W_ihᵀ + b_ih</c> for <paramref name="rows"/> rows of input.</summary>
            private void Project(ReadOnlySpan<T> xs, int rows, Span<T> dst)
            {
                int gh = r.g * r.hidden, inp = r.inputSize;
                dst = dst[..(rows * gh)];
                xs = xs[..(rows * inp)];
                var bi = Summed ? default : bih.Span; // Summed: the gate pass adds the biases
                if (!bi.IsEmpty)
                {
                    for (var i = 0; i < rows; i++)
                    {
                        bi.CopyTo(dst.Slice(i * gh, gh));
                    }
                }
                var beta = bi.IsEmpty ? T.Zero : T.One;
                if (wihPacked is not null)
                {
                    wihPacked.Multiply(rows, T.One, xs, inp, beta, dst, gh);
                }
                else
                {
                    Gemm.Compute(false, true, rows, gh, inp, T.One, xs, inp, Wih.Span, inp, beta, dst, gh);
                }
            }

            /// <summary>
            /// Inference for the batch rows <c>[g0, g1)</c> (row group <paramref name="group"/>): for each chunk of
            /// <paramref name="chunkSteps"/> steps, gathers the group's input rows in step order, projects them with one
            /// GEMM and runs the steps.
            /// </summary>
            public void RunChunks(int group, int chunkSteps, int g0, int g1)
            {
                if (split is not null)
                {
                    split.Run();
                    return;
                }
                var lay = r.layout;
                var inp = r.inputSize;
                var xin = xinGroup[group];
                var xgs = xgGroup[group];
                var xs = r.xm.Span;
                for (var s0 = 0; s0 < lay.Steps; s0 += chunkSteps)
                {
                    var s1 = Math.Min(lay.Steps, s0 + chunkSteps);
                    var n = 0;
                    for (var s = s0; s < s1; s++)
                    {
                        var t = StepTime(s);
                        var rows = Math.Min(g1, lay.BatchSizes[t]) - g0;
                        if (rows > 0)
                        {
                            xs.Slice((lay.Offsets[t] + g0) * inp, rows * inp).CopyTo(xin.AsSpan(n * inp));
                            n += rows;
                        }
                    }
                    if (n == 0)
                    {
                        continue;
                    }
                    Project(xin, n, xgs);
                    RunSteps(s0, s1, g0, g1, xgs);
                }
            }

            /// <summary>
            /// Steps <c>[s0, s1)</c> for the batch rows <c>[g0, g1)</c> (sorted positions); groups touch disjoint rows.
            /// The input projections come from <paramref name="chunk"/> (the group's rows in step order, as
            /// <see cref="RunChunks"/> lays them out) or, when it is empty, from the saved gates by packed row (training).
            /// </summary>
            public void RunSteps(int s0, int s1, int g0, int g1, Span<T> chunk)
            {
                var lay = r.layout;
                int h = r.hidden, hout = r.hout, gh = r.g * h;
                var ld = r.dirs * hout;
                var whhs = whh.Span;
                var bhhs = bhh.Span;
                var whrs = whr.Span;
                var ys = yAll.Span;
                var cursor = 0; // rows of the chunk used so far
                for (var s = s0; s < s1; s++)
                {
                    var t = StepTime(s);
                    int bs = lay.BatchSizes[t], off = lay.Offsets[t];
                    var rb = Math.Min(g1, bs);
                    var rows = rb - g0;
                    if (rows <= 0)
                    {
                        continue;
                    }
                    var row = off + g0; // packed row of the group's first sequence at this step
                    // h_{t−1}: the state, or (direct) the previous step's output rows; in a forward pass the rows active
                    // now were active at the previous step too, at the same positions.
                    var hp = Direct && s > 0
                        ? ys.Slice((lay.Offsets[t - 1] + g0) * hout, rows * hout)
                        : hState.AsSpan(g0 * hout, rows * hout);
                    if (save)
                    {
                        hp.CopyTo(hprev.AsSpan(row * hout, rows * hout));
                    }
                    var gt = chunk.IsEmpty ? gates.AsSpan(row * gh, rows * gh) : chunk.Slice(cursor * gh, rows * gh);
                    cursor += rows;
                    var hgs = Summed ? gt : hg.AsSpan(g0 * gh, rows * gh);
                    var beta = Summed ? T.One : T.Zero;
                    if (whhPacked is not null)
                    {
                        whhPacked!.Multiply(rows, T.One, hp, hout, beta, hgs, gh, reverse: (s & 1) == 1);
                    }
                    else
                    {
                        Gemm.Compute(false, true, rows, gh, hout, T.One, hp, hout, whhs, hout, beta, hgs, gh);
                    }
                    var cs = r.lstm ? cState.AsSpan(g0 * h, rows * h) : default;
                    // Where h before the projection goes: the saved copy (training), a scratch row (projection), or the state itself.
                    // Direct: straight into this step's output rows.
                    var hr = save ? hraw.AsSpan(row * h, rows * h)
                        : r.proj > 0 ? hrTmp.AsSpan(g0 * h, rows * h)
                        : Direct ? ys.Slice(row * hout, rows * hout)
                        : hp;
                    switch (r.mode)
                    {
                        case RecurrentMode.Lstm:
                            if (save)
                            {
                                var cp = cprev.AsSpan(row * h, rows * h);
                                cs.CopyTo(cp);
                                var ct = cells.AsSpan(row * h, rows * h);
                                RecurrentKernels.LstmForward<T>(gt, hgs, bhhs, cp, gt, ct, hr, rows, h);
                                ct.CopyTo(cs);
                            }
                            else
                            {
                                // Summed: gt holds both products, the kernel adds both biases; nothing is kept for backward.
                                RecurrentKernels.LstmForward<T>(gt, default, biasSum.AsSpan(0, biasSum.Length > 0 ? gh : 0), cs, default, cs, hr, rows, h);
                            }
                            break;
                        case RecurrentMode.Gru:
                            if (save)
                            {
                                RecurrentKernels.GruForward<T>(gt, hgs, bhhs, hp, gt, hn.AsSpan(row * h, rows * h), hr, rows, h);
                            }
                            else
                            {
                                RecurrentKernels.GruForward<T>(gt, hgs, bhhs, hp, default, default, hr, rows, h);
                            }
                            break;
                        default:
                            RecurrentKernels.RnnForward<T>(r.mode == RecurrentMode.RnnRelu, gt, hgs, bhhs, hr, rows, h);
                            break;
                    }
                    if (r.proj > 0)
                    {
                        Gemm.Compute(false, true, rows, hout, h, T.One, hr, h, whrs, h, T.Zero, hp, hout);
                    }
                    else if (save)
                    {
                        hr.CopyTo(hp);
                    }
                    for (var i = 0; i < rows && !Direct; i++)
                    {
                        hp.Slice(i * hout, hout).CopyTo(ys.Slice((row + i) * ld + Index * hout, hout));
                    }
                }
            }

            /// <summary>Writes h_n (and c_n) in the caller's batch order.</summary>
            public void Finish(Memory<T> hnAll, Memory<T> cnAll)
            {
                var lay = r.layout;
                int b = lay.Batch, h = r.hidden, hout = r.hout;
                if (Direct)
                {
                    // h_n of each sequence is its output row at its last step (sequences are sorted longest first).
                    var ys = yAll.Span;
                    var last = lay.Steps - 1;
                    for (var i = 0; i < b; i++)
                    {
                        while (lay.BatchSizes[last] <= i)
                        {
                            last--;
                        }
                        ys.Slice((lay.Offsets[last] + i) * hout, hout).CopyTo(hState.AsSpan(i * hout, hout));
                    }
                }
                var hns = hnAll.Span;
                var cns = cnAll.Span;
                for (var i = 0; i < b; i++)
                {
                    var dst = (Index * b + lay.CallerIndex(i)) * hout;
                    hState.AsSpan(i * hout, hout).CopyTo(hns.Slice(dst, hout));
                    if (r.lstm)
                    {
                        cState.AsSpan(i * h, h).CopyTo(cns.Slice((Index * b + lay.CallerIndex(i)) * h, h));
                    }
                }
            }

            /// <summary>Returns rented scratch and packed weights (the saved activations of training stay).</summary>
            public void ReleaseScratch()
            {
                split?.Dispose();
                split = null;
                for (var i = 0; i < xgGroup.Length; i++)
                {
                    Return(ref xgGroup[i]);
                    Return(ref xinGroup[i]);
                }
                xgGroup = xinGroup = [];
                Return(ref hState);
                Return(ref cState);
                Return(ref hg);
                Return(ref hrTmp);
                Return(ref biasSum);
                if (modulePacks is null)
                {
                    whhPacked?.Dispose();
                    wihPacked?.Dispose();
                }
                whhPacked = null;
                wihPacked = null;
                modulePacks = null;
            }

            // Backward state of one call (BeginBackward .. FinishBackward).
            private Memory<T> dyAll;
            private T[] dhtot = [];    // (N, out) projection: the total gradient into each output row
            private T[] dhState = [];  // (B, out) gradient into h of the step being processed
            private T[] dcState = [];  // (B, H) LSTM: gradient into c
            private T[] dhBuf = [];    // (B, H) gradient into h before the projection
            private T[] dhDirect = []; // (B, H) GRU: the direct term z ⊙ dh
            private PackedMatrix<T>? whhBack;

            /// <summary>
            /// Starts BPTT for this direction: rents the gradient rows and loads dh_n/dc_n; <see cref="BackwardSteps"/>
            /// then runs the steps (by row groups: rows never interact) and <see cref="FinishBackward"/> the weights.
            /// </summary>
            public void BeginBackward(Memory<T> dy, Memory<T> dhnAll, Memory<T> dcnAll)
            {
                var lay = r.layout;
                int n = lay.Rows, b = lay.Batch, h = r.hidden, hout = r.hout, gh = r.g * h;
                var gru = r.mode == RecurrentMode.Gru;
                dyAll = dy;
                // Every row of these is written before it is read (each packed row belongs to one step), so rented
                // arrays need no clearing.
                DGi = Rent(n * gh);
                dgh = gru ? Rent(n * gh) : DGi;
                dhtot = r.proj > 0 ? Rent(n * hout) : [];
                dhState = Rent(b * hout);
                dcState = r.lstm ? Rent(b * h) : [];
                dhBuf = Rent(b * h);
                dhDirect = gru ? Rent(b * h) : [];
                var dhns = dhnAll.Span;
                var dcns = dcnAll.Span;
                for (var i = 0; i < b; i++)
                {
                    dhns.Slice((Index * b + lay.CallerIndex(i)) * hout, hout).CopyTo(dhState.AsSpan(i * hout, hout));
                    if (r.lstm)
                    {
                        dcns.Slice((Index * b + lay.CallerIndex(i)) * h, h).CopyTo(dcState.AsSpan(i * h, h));
                    }
                }
                // W_hh is used untransposed here (dh = dG · W_hh): packed once for all steps, as in forward.
                whhBack = lay.Steps >= PackMinSteps ? PackedMatrix<T>.Pack(false, gh, hout, whh.Span, hout) : null;
            }

            /// <summary>
            /// BPTT over every step for the batch rows <c>[g0, g1)</c> (sorted positions). Row groups touch disjoint rows
            /// of every buffer, so groups run on separate threads with no synchronisation between steps; with one
            /// group the per-step product is split across threads instead.
            /// </summary>
            public void BackwardSteps(int g0, int g1)
            {
                var lay = r.layout;
                int h = r.hidden, hout = r.hout, gh = r.g * h;
                var ld = r.dirs * hout;
                var gru = r.mode == RecurrentMode.Gru;
                var dys = dyAll.Span;
                var whhs = whh.Span;
                var whrs = whr.Span;
                for (var s = lay.Steps - 1; s >= 0; s--)
                {
                    var t = StepTime(s);
                    int off = lay.Offsets[t], rows = Math.Min(g1, lay.BatchSizes[t]) - g0;
                    if (rows <= 0)
                    {
                        continue;
                    }
                    var row = off + g0; // packed row of the group's first sequence at this step
                    // Total gradient into this step's output h: from the layer output and from step t+1 (or h_n).
                    var dhs = dhState.AsSpan(g0 * hout, rows * hout);
                    for (var i = 0; i < rows; i++)
                    {
                        var dhRow = dhs.Slice(i * hout, hout);
                        TensorPrimitives.Add(dhRow, dys.Slice((row + i) * ld + Index * hout, hout), dhRow);
                    }
                    var dhRaw = dhBuf.AsSpan(g0 * h, rows * h);
                    if (r.proj > 0)
                    {
                        var dt = dhtot.AsSpan(row * hout, rows * hout);
                        dhs.CopyTo(dt);
                        Gemm.Compute(false, false, rows, h, hout, T.One, dt, hout, whrs, h, T.Zero, dhRaw, h);
                    }
                    else
                    {
                        dhs.CopyTo(dhRaw);
                    }
                    var dgi = DGi.AsSpan(row * gh, rows * gh);
                    var dghs = dgh.AsSpan(row * gh, rows * gh);
                    var gt = gates.AsSpan(row * gh, rows * gh);
                    var direct = gru ? dhDirect.AsSpan(g0 * h, rows * h) : default;
                    switch (r.mode)
                    {
                        case RecurrentMode.Lstm:
                            RecurrentKernels.LstmBackward<T>(dhRaw, dcState.AsSpan(g0 * h, rows * h), gt, cells.AsSpan(row * h, rows * h),
                                cprev.AsSpan(row * h, rows * h), dgi, rows, h);
                            break;
                        case RecurrentMode.Gru:
                            RecurrentKernels.GruBackward<T>(dhRaw, hprev.AsSpan(row * hout, rows * hout), gt, hn.AsSpan(row * h, rows * h),
                                dgi, dghs, direct, rows, h);
                            break;
                        default:
                            RecurrentKernels.RnnBackward<T>(r.mode == RecurrentMode.RnnRelu, dhRaw, hraw.AsSpan(row * h, rows * h), dgi, rows, h);
                            break;
                    }
                    // dh_{t−1} = dG_hh · W_hh (+ the direct GRU term z ⊙ dh).
                    if (whhBack is not null)
                    {
                        whhBack.Multiply(rows, T.One, dghs, gh, T.Zero, dhs, hout);
                    }
                    else
                    {
                        Gemm.Compute(false, false, rows, hout, gh, T.One, dghs, gh, whhs, hout, T.Zero, dhs, hout);
                    }
                    if (gru)
                    {
                        TensorPrimitives.Add(dhs, direct, dhs);
                    }
                }
            }

            /// <summary>Ends BPTT for this direction: writes dh_0/dc_0 rows and returns the parameter gradients in <see cref="DirectionWeights.All"/> order.</summary>
            public Tensor[] FinishBackward(Memory<T> dh0All, Memory<T> dc0All)
            {
                var lay = r.layout;
                int n = lay.Rows, b = lay.Batch, h = r.hidden, hout = r.hout, gh = r.g * h, inp = r.inputSize;
                whhBack?.Dispose();
                whhBack = null;
                var dh0s = dh0All.Span;
                var dc0s = dc0All.Span;
                for (var i = 0; i < b; i++)
                {
                    dhState.AsSpan(i * hout, hout).CopyTo(dh0s.Slice((Index * b + lay.CallerIndex(i)) * hout, hout));
                    if (r.lstm && !dc0s.IsEmpty)
                    {
                        dcState.AsSpan(i * h, h).CopyTo(dc0s.Slice((Index * b + lay.CallerIndex(i)) * h, h));
                    }
                }

                var grads = new List<Tensor>();
                var dtype = r.x.DType;
                var dWih = Tensor.Zeros([gh, inp], dtype);
                Gemm.Compute(true, false, gh, inp, n, T.One, DGi, gh, r.xm.Span, inp, T.Zero, Mem<T>(dWih).Span, inp);
                grads.Add(dWih);
                var dWhh = Tensor.Zeros([gh, hout], dtype);
                Gemm.Compute(true, false, gh, hout, n, T.One, dgh, gh, hprev, hout, T.Zero, Mem<T>(dWhh).Span, hout);
                grads.Add(dWhh);
                Tensor? dbih = null;
                if (w.Bih is not null)
                {
                    dbih = Tensor.Zeros([gh], dtype);
                    RecurrentKernels.AddColumnSums<T>(DGi, n, gh, Mem<T>(dbih).Span);
                    grads.Add(dbih);
                }
                if (w.Bhh is not null)
                {
                    // Except in a GRU both biases receive the column sums of the same rows (dgh is DGi): sum them once.
                    Tensor dbhh;
                    if (dbih is not null && ReferenceEquals(dgh, DGi))
                    {
                        dbhh = dbih.DetachedCopy();
                    }
                    else
                    {
                        dbhh = Tensor.Zeros([gh], dtype);
                        RecurrentKernels.AddColumnSums<T>(dgh, n, gh, Mem<T>(dbhh).Span);
                    }
                    grads.Add(dbhh);
                }
                if (w.Whr is not null)
                {
                    var dWhr = Tensor.Zeros([hout, h], dtype);
                    Gemm.Compute(true, false, hout, h, n, T.One, dhtot, hout, hraw, h, T.Zero, Mem<T>(dWhr).Span, h);
                    grads.Add(dWhr);
                }
                Return(ref dhtot);
                Return(ref dhState);
                Return(ref dcState);
                Return(ref dhBuf);
                Return(ref dhDirect);
                dyAll = default;
                return [.. grads];
            }
        }
    }
}
