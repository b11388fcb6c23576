using Sequin.IO;
using Sequin.Nn;
using Sequin.Tensors;

namespace Sequin.Tests.Nn;

/// <summary>
/// Runs one PyTorch golden layer/cell case (see Golden/FORMAT.md) through Sequin and measures the worst
/// tolerance violation. The packing here is a minimal differentiable test helper built from IndexSelect/Cat.
/// </summary>
internal static class RnnGoldenHarness
{
    public static string GoldenDir => Path.Combine(AppContext.BaseDirectory, "Golden");

    public static IEnumerable<string> CaseNames(string kind)
    {
        using var index = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "index.json")));
        foreach (var c in index.RootElement.EnumerateArray())
        {
            if (c.GetProperty("kind").GetString() == kind)
            {
                yield return c.GetProperty("name").GetString()!;
            }
        }
    }

    /// <summary>Result: worst normalised error (≤ 1 passes) and a description of where.</summary>
    public sealed record Outcome(double WorstRatio, string Where, double MaxAbs);

    public static Outcome Run(string name, DType dtype, bool reference = false)
    {
        var (tensors, meta) = SafeTensors.Load(Path.Combine(GoldenDir, name + ".safetensors"));
        return meta["kind"] == "cell" ? RunCell(tensors, meta, dtype) : RunLayer(tensors, meta, dtype, reference);
    }

    private static bool B(Dictionary<string, string> m, string k) => m.TryGetValue(k, out var v) && v == "true";

    private static int I(Dictionary<string, string> m, string k) => int.Parse(m[k], System.Globalization.CultureInfo.InvariantCulture);

    private static Outcome RunLayer(Dictionary<string, Tensor> t, Dictionary<string, string> m, DType dtype, bool reference)
    {
        var mode = m["mode"];
        int inp = I(m, "input_size"), hid = I(m, "hidden_size"), layers = I(m, "num_layers"), proj = I(m, "proj_size");
        bool bias = B(m, "bias"), bf = B(m, "batch_first"), bi = B(m, "bidirectional"), hasH = B(m, "has_h0"), packed = B(m, "packed");
        RNNBase module = mode switch
        {
            "LSTM" => new LSTM(inp, hid, layers, bias, bf, 0, bi, proj, dtype),
            "GRU" => new GRU(inp, hid, layers, bias, bf, 0, bi, dtype),
            _ => new RNN(inp, hid, layers, mode == "RNN_RELU" ? "relu" : "tanh", bias, bf, 0, bi, dtype),
        };
        module.UseReferenceImplementation = reference;
        var names = module.NamedParameters().Select(p => p.Name).ToList();
        module.LoadStateDict(names.ToDictionary(n => n, n => t[n]));
        var input = t["input"].To(dtype).Detach().RequiresGrad_();
        var h0 = hasH ? t["h0"].To(dtype).Detach().RequiresGrad_() : null;
        var c0 = hasH && mode == "LSTM" ? t["c0"].To(dtype).Detach().RequiresGrad_() : null;
        Tensor output, hn;
        Tensor? cn = null;
        if (packed)
        {
            var lengths = m["lengths"].Split(',').Select(int.Parse).ToArray();
            var seq = PackPadded(input, lengths, bf);
            PackedSequence po;
            switch (module)
            {
                case LSTM l: (po, hn, cn) = l.Forward(seq, h0, c0); break;
                case GRU g: (po, hn) = g.Forward(seq, h0); break;
                default: (po, hn) = ((RNN)module).Forward(seq, h0); break;
            }
            output = PadPacked(po, lengths, bf, I(m, "seq_len"));
        }
        else
        {
            switch (module)
            {
                case LSTM l: (output, hn, cn) = l.Forward(input, h0, c0); break;
                case GRU g: (output, hn) = g.Forward(input, h0); break;
                default: (output, hn) = ((RNN)module).Forward(input, h0); break;
            }
        }
        var loss = output.Mul(t["grad_output"].To(dtype)).Sum().Add(hn.Mul(t["grad_h_n"].To(dtype)).Sum());
        if (cn is not null)
        {
            loss = loss.Add(cn.Mul(t["grad_c_n"].To(dtype)).Sum());
        }
        loss.Backward();
        var cmp = new Comparer(dtype);
        cmp.Check("output", output, t["output"]);
        cmp.Check("h_n", hn, t["h_n"]);
        if (cn is not null)
        {
            cmp.Check("c_n", cn, t["c_n"]);
        }
        cmp.Check("grad.input", input.Grad, t["grad.input"]);
        if (h0 is not null)
        {
            cmp.Check("grad.h0", h0.Grad, t["grad.h0"]);
        }
        if (c0 is not null)
        {
            cmp.Check("grad.c0", c0.Grad, t["grad.c0"]);
        }
        foreach (var (n, p) in module.NamedParameters())
        {
            cmp.Check("grad." + n, p.Grad, t["grad." + n]);
        }
        return cmp.Outcome;
    }

    private static Outcome RunCell(Dictionary<string, Tensor> t, Dictionary<string, string> m, DType dtype)
    {
        var mode = m["mode"];
        int inp = I(m, "input_size"), hid = I(m, "hidden_size");
        bool bias = B(m, "bias"), hasH = B(m, "has_h0");
        Module module = mode switch
        {
            "LSTM" => new LSTMCell(inp, hid, bias, dtype),
            "GRU" => new GRUCell(inp, hid, bias, dtype),
            _ => new RNNCell(inp, hid, bias, mode == "RNN_RELU" ? "relu" : "tanh", dtype),
        };
        var names = module.NamedParameters().Select(p => p.Name).ToList();
        module.LoadStateDict(names.ToDictionary(n => n, n => t[n]));
        var input = t["input"].To(dtype).Detach().RequiresGrad_();
        var hx = hasH ? t["hx"].To(dtype).Detach().RequiresGrad_() : null;
        var cx = hasH && mode == "LSTM" ? t["cx"].To(dtype).Detach().RequiresGrad_() : null;
        Tensor h1;
        Tensor? c1 = null;
        switch (module)
        {
            case LSTMCell l: (h1, c1) = l.Forward(input, hx, cx); break;
            case GRUCell g: h1 = g.Forward(input, hx); break;
            default: h1 = ((RNNCell)module).Forward(input, hx); break;
        }
        var loss = h1.Mul(t["grad_h_1"].To(dtype)).Sum();
        if (c1 is not null)
        {
            loss = loss.Add(c1.Mul(t["grad_c_1"].To(dtype)).Sum());
        }
        loss.Backward();
        var cmp = new Comparer(dtype);
        cmp.Check("h_1", h1, t["h_1"]);
        if (c1 is not null)
        {
            cmp.Check("c_1", c1, t["c_1"]);
        }
        cmp.Check("grad.input", input.Grad, t["grad.input"]);
        if (hx is not null)
        {
            cmp.Check("grad.hx", hx.Grad, t["grad.hx"]);
        }
        if (cx is not null)
        {
            cmp.Check("grad.cx", cx.Grad, t["grad.cx"]);
        }
        foreach (var (n, p) in module.NamedParameters())
        {
            cmp.Check("grad." + n, p.Grad, t["grad." + n]);
        }
        return cmp.Outcome;
    }

    /// <summary>Differentiable pack_padded_sequence for tests: (T,B,*) or (B,T,*) padded + lengths → PackedSequence.</summary>
    public static PackedSequence PackPadded(Tensor input, int[] lengths, bool batchFirst)
    {
        var x = batchFirst ? input.Transpose(0, 1) : input;
        var sorted = Enumerable.Range(0, lengths.Length).OrderByDescending(i => lengths[i]).ToArray();
        var unsorted = new long[sorted.Length];
        for (var i = 0; i < sorted.Length; i++)
        {
            unsorted[sorted[i]] = i;
        }
        var maxLen = lengths.Max();
        var batchSizes = Enumerable.Range(0, maxLen).Select(t => (long)lengths.Count(l => l > t)).ToArray();
        var sortedT = Tensor.FromArray(sorted.Select(v => (long)v).ToArray(), sorted.Length);
        var rows = new List<Tensor>();
        for (var t = 0; t < maxLen; t++)
        {
            rows.Add(x.Select(0, t).IndexSelect(0, sortedT.Narrow(0, 0, (int)batchSizes[t])));
        }
        return new PackedSequence(Tensor.Cat(rows, 0), Tensor.FromArray(batchSizes, maxLen), sortedT,
            Tensor.FromArray(unsorted, unsorted.Length));
    }

    /// <summary>Differentiable pad_packed_sequence(total_length) for tests.</summary>
    public static Tensor PadPacked(PackedSequence p, int[] lengths, bool batchFirst, int totalLength)
    {
        var bsz = p.BatchSizesArray();
        var b = bsz[0];
        var f = p.Data.Size(1);
        var steps = new List<Tensor>();
        var off = 0;
        for (var t = 0; t < totalLength; t++)
        {
            var bs = t < bsz.Length ? bsz[t] : 0;
            var rows = bs > 0 ? p.Data.Narrow(0, off, bs) : null;
            off += bs;
            var full = rows is null ? Tensor.Zeros([b, f], p.Data.DType)
                : bs < b ? Tensor.Cat([rows, Tensor.Zeros([b - bs, f], p.Data.DType)], 0) : rows;
            steps.Add(p.UnsortedIndices is null ? full : full.IndexSelect(0, p.UnsortedIndices));
        }
        var padded = Tensor.Stack(steps, 0);
        return batchFirst ? padded.Transpose(0, 1) : padded;
    }

    private sealed class Comparer(DType dtype)
    {
        private readonly double atol = dtype == DType.Float64 ? 1e-9 : 1e-5;
        private readonly double rtol = dtype == DType.Float64 ? 1e-7 : 1e-4;

        public Outcome Outcome { get; private set; } = new(0, "", 0);

        public void Check(string what, Tensor? got, Tensor want)
        {
            if (got is null)
            {
                Outcome = new(double.PositiveInfinity, what + ": no gradient", double.PositiveInfinity);
                return;
            }
            if (got.Shape != want.Shape)
            {
                Outcome = new(double.PositiveInfinity, $"{what}: shape {got.Shape} vs {want.Shape}", double.PositiveInfinity);
                return;
            }
            var g = got.ToDoubleArray();
            var w = want.ToDoubleArray();
            var maxAbs = Outcome.MaxAbs;
            for (var i = 0; i < g.Length; i++)
            {
                var err = Math.Abs(g[i] - w[i]);
                var ratio = err / (atol + rtol * Math.Abs(w[i]));
                maxAbs = Math.Max(maxAbs, err);
                if (!(ratio <= Outcome.WorstRatio) && !double.IsPositiveInfinity(Outcome.WorstRatio))
                {
                    Outcome = new(double.IsNaN(ratio) ? double.PositiveInfinity : ratio, $"{what}[{i}]: got {g[i]:G10}, want {w[i]:G10}", maxAbs);
                }
            }
            Outcome = Outcome with { MaxAbs = maxAbs };
        }
    }
}
