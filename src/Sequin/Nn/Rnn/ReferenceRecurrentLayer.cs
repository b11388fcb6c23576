using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// The reference path of one layer: the same recurrence as <see cref="FusedRecurrentLayer"/> composed from
/// plain differentiable tensor operations (MatMul, Sigmoid, Tanh, Narrow, Cat, ...), one small graph per step.
/// Slow, but its gradients come from the generic autograd engine, so it verifies the fused BPTT.
/// </summary>
internal static class ReferenceRecurrentLayer
{
    /// <summary>Same contract as <see cref="FusedRecurrentLayer.Forward"/>.</summary>
    public static (Tensor Y, Tensor HN, Tensor? CN) Forward(RecurrentMode mode, Tensor x, TimeLayout layout, Tensor h0, Tensor? c0,
        IReadOnlyList<DirectionWeights> weights, int hidden, int proj)
    {
        var ys = new List<Tensor>();
        var hns = new List<Tensor>();
        var cns = new List<Tensor>();
        for (var d = 0; d < weights.Count; d++)
        {
            var h0d = ToSorted(h0.Select(0, d), layout);
            var c0d = c0 is null ? null : ToSorted(c0.Select(0, d), layout);
            var (y, hn, cn) = Direction(mode, x, layout, h0d, c0d, weights[d], hidden, d == 1);
            ys.Add(y);
            hns.Add(ToCaller(hn, layout));
            if (cn is not null)
            {
                cns.Add(ToCaller(cn, layout));
            }
        }
        var yAll = ys.Count == 1 ? ys[0] : Tensor.Cat(ys, 1);
        return (yAll, Tensor.Stack(hns, 0), cns.Count == 0 ? null : Tensor.Stack(cns, 0));
    }

    private static Tensor ToSorted(Tensor h, TimeLayout layout)
        => layout.Sorted is null ? h : Tensor.Stack(Enumerable.Range(0, layout.Batch).Select(i => h.Select(0, layout.Sorted[i])).ToArray(), 0);

    private static Tensor ToCaller(Tensor h, TimeLayout layout)
    {
        if (layout.Sorted is null)
        {
            return h;
        }
        var inverse = new int[layout.Batch];
        for (var i = 0; i < inverse.Length; i++)
        {
            inverse[layout.Sorted[i]] = i;
        }
        return Tensor.Stack(inverse.Select(i => h.Select(0, i)).ToArray(), 0);
    }

    private static (Tensor Y, Tensor HN, Tensor? CN) Direction(RecurrentMode mode, Tensor x, TimeLayout layout, Tensor h0, Tensor? c0,
        DirectionWeights w, int hidden, bool reverse)
    {
        var steps = layout.Steps;
        var outputs = new Tensor[steps];
        var finishedH = new List<Tensor>();
        var finishedC = new List<Tensor>();
        Tensor? h = null;
        Tensor? c = null;
        var prevBs = 0;
        for (var s = 0; s < steps; s++)
        {
            var t = reverse ? steps - 1 - s : s;
            var bs = layout.BatchSizes[t];
            Tensor hPrev, cPrev;
            if (h is null)
            {
                hPrev = h0.Narrow(0, 0, bs);
                cPrev = c0?.Narrow(0, 0, bs)!;
            }
            else if (bs > prevBs)
            {
                // Reverse direction: longer sequences start here with their h_0 rows.
                hPrev = Tensor.Cat([h, h0.Narrow(0, prevBs, bs - prevBs)], 0);
                cPrev = c0 is null ? null! : Tensor.Cat([c!, c0.Narrow(0, prevBs, bs - prevBs)], 0);
            }
            else
            {
                if (bs < prevBs)
                {
                    // Forward direction: sequences prevBs-1 .. bs ended at the previous step.
                    finishedH.Insert(0, h.Narrow(0, bs, prevBs - bs));
                    if (c is not null)
                    {
                        finishedC.Insert(0, c.Narrow(0, bs, prevBs - bs));
                    }
                }
                hPrev = h.Narrow(0, 0, bs);
                cPrev = c?.Narrow(0, 0, bs)!;
            }
            var xt = x.Narrow(0, layout.Offsets[t], bs);
            var xg = Linear(xt, w.Wih, w.Bih);
            var hg = Linear(hPrev, w.Whh, w.Bhh);
            switch (mode)
            {
                case RecurrentMode.Lstm:
                    {
                        var gates = hg.Add(xg).Chunk(4, 1);
                        var i = gates[0].Sigmoid();
                        var f = gates[1].Sigmoid();
                        var g = gates[2].Tanh();
                        var o = gates[3].Sigmoid();
                        c = f.Mul(cPrev).Add(i.Mul(g));
                        h = o.Mul(c.Tanh());
                        if (w.Whr is not null)
                        {
                            h = h.MatMul(w.Whr.T());
                        }
                        break;
                    }
                case RecurrentMode.Gru:
                    {
                        var gi = xg.Chunk(3, 1);
                        var ghh = hg.Chunk(3, 1);
                        var r = ghh[0].Add(gi[0]).Sigmoid();
                        var z = ghh[1].Add(gi[1]).Sigmoid();
                        var n = gi[2].Add(ghh[2].Mul(r)).Tanh();
                        h = hPrev.Sub(n).Mul(z).Add(n);
                        break;
                    }
                default:
                    {
                        var pre = hg.Add(xg);
                        h = mode == RecurrentMode.RnnRelu ? pre.Relu() : pre.Tanh();
                        break;
                    }
            }
            outputs[t] = h;
            prevBs = bs;
        }
        var y = Tensor.Cat(outputs, 0);
        finishedH.Insert(0, h!);
        if (c is not null)
        {
            finishedC.Insert(0, c);
        }
        var hn = finishedH.Count == 1 ? finishedH[0] : Tensor.Cat(finishedH, 0);
        var cn = c is null ? null : finishedC.Count == 1 ? finishedC[0] : Tensor.Cat(finishedC, 0);
        return (y, hn, cn);
    }

    /// <summary><c>x·Wᵀ + b</c>, with the bias added to the product as PyTorch's addmm does.</summary>
    internal static Tensor Linear(Tensor x, Tensor w, Tensor? b)
    {
        var p = x.MatMul(w.T());
        return b is null ? p : b.Add(p);
    }
}
