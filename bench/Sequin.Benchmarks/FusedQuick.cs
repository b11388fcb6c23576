using System.Diagnostics;
using System.Globalization;
using Sequin.Kernels;

namespace Sequin.Benchmarks;

/// <summary>
/// `fused [K N K2 ROWS]`: one part's step at one sequence (the GEMV through W_hh, 1 × K × N) alone, with a step's share
/// of the next chunk's input projection (ROWS × K2 × N, N / 256 tiles of 8 rows × one panel) after it, and with the
/// same work as a <see cref="TileStream{T}"/> beside it (for tuning, not for reports); then checks the stream's numbers
/// against the packed product. Defaults: an LSTM 512 part on two threads (K 512, N 1024, K2 256, ROWS 256).
/// </summary>
internal static unsafe class FusedQuick
{
    internal static void Run(string[] args)
    {
        int Arg(int i, int dflt) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : dflt;
        int k = Arg(1, 512), n = Arg(2, 1024), k2 = Arg(3, 256), rows = Arg(4, 256);
        var rng = new Random(1);
        float[] Rand(int len)
        {
            var v = new float[len];
            for (var i = 0; i < len; i++)
            {
                v[i] = (float)(rng.NextDouble() - 0.5);
            }
            return v;
        }
        using var whh = PackedMatrix<float>.Pack(true, k, n, Rand(n * k), k);
        using var wih = PackedMatrix<float>.Pack(true, k2, n, Rand(n * k2), k2);
        var x = Rand(k);
        var c = new float[n];
        var a2 = Rand(rows * k2);
        var bias = Rand(n);
        var c2 = new float[rows * n];
        var acc = GC.AllocateArray<float>(256, pinned: true);
        var nr = wih.PanelWidth;
        // Tiles per step: the whole projection over the steps of its chunk (rows steps at one sequence).
        var perStep = Math.Max(1, n / nr * (rows / 8) / rows);
        var stream = default(TileStream<float>);
        var tile = 0;
        for (var round = 0; round < 3; round++)
        {
            foreach (var mode in new[] { "gemv", "gemv+tiles", "fused" })
            {
                var times = new List<double>();
                for (var s = 0; s < 400; s++)
                {
                    var sw = Stopwatch.StartNew();
                    var reverse = (s & 1) == 1;
                    if (mode == "gemv")
                    {
                        whh.MultiplyOnThisThread(1, 1f, x, k, 0f, c, n, reverse);
                    }
                    else if (mode == "gemv+tiles")
                    {
                        whh.MultiplyOnThisThread(1, 1f, x, k, 0f, c, n, reverse);
                        for (var t = 0; t < perStep; t++, tile++)
                        {
                            var tt = tile % (rows / 8 * (n / nr));
                            var panel = tt / (rows / 8);
                            var rb = tt % (rows / 8);
                            wih.MultiplyColumnsOnThisThread(8, panel * nr, (panel + 1) * nr, 1f, a2.AsSpan(rb * 8 * k2), k2, 1f, c2.AsSpan(rb * 8 * n), n);
                        }
                    }
                    else
                    {
                        fixed (float* pa = a2, pc = c2, pbias = bias, pacc = acc)
                        {
                            if (stream.Done || stream.A == null)
                            {
                                stream = new TileStream<float> { Lda = k2, K = k2, N = n, Ldc = n, RowBlocks = rows / 8, Panels = n / nr };
                                Array.Clear(acc);
                            }
                            stream.A = pa;
                            stream.C = pc;
                            stream.Bias = pbias;
                            stream.Acc = pacc;
                            whh.MultiplyRowWithTiles(1f, x, 0f, c, reverse, wih, ref stream);
                        }
                    }
                    times.Add(sw.Elapsed.TotalMicroseconds);
                }
                times.Sort();
                Console.WriteLine($"{mode,-12} k{k} n{n} k2 {k2} rows {rows}: median {times[times.Count / 2]:F2} us, best {times[0]:F2} us");
            }
        }
        // The stream's numbers against the packed product (bias first, as the layer adds it).
        var reference = new float[rows * n];
        for (var i = 0; i < rows; i++)
        {
            bias.CopyTo(reference.AsSpan(i * n));
        }
        wih.MultiplyOnThisThread(rows, 1f, a2, k2, 1f, reference, n);
        Array.Clear(c2);
        Array.Clear(acc);
        fixed (float* pa = a2, pc = c2, pbias = bias, pacc = acc)
        {
            stream = new TileStream<float> { A = pa, Lda = k2, K = k2, N = n, C = pc, Ldc = n, Bias = pbias, RowBlocks = rows / 8, Panels = n / nr, Acc = pacc };
            while (!stream.Done)
            {
                whh.MultiplyRowWithTiles(1f, x, 0f, c, false, wih, ref stream);
            }
        }
        var diff = 0;
        for (var i = 0; i < rows * n; i++)
        {
            diff += reference[i] == c2[i] ? 0 : 1;
        }
        Console.WriteLine($"stream vs packed product: {diff} of {rows * n} elements differ");
    }
}
