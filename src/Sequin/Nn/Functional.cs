using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// Stateless neural-network functions (<c>torch.nn.functional</c>): linear, embedding, one_hot, softmax,
/// log_softmax, cross_entropy, mse_loss, dropout. Each documents its shapes; all are differentiable except
/// <see cref="OneHot"/>.
/// </summary>
public static class Functional
{
    /// <summary><c>y = x Wᵀ + b</c>: input <c>(*, in)</c>, weight <c>(out, in)</c>, bias <c>(out)</c> → <c>(*, out)</c> (<c>F.linear</c>).</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Dim != 2)
        {
            throw new ArgumentException($"linear: weight must be 2-D (out_features, in_features); got shape {weight.Shape}.");
        }
        var inFeatures = weight.Size(1);
        if (input.Dim == 0 || input.Size(-1) != inFeatures)
        {
            throw new ArgumentException(
                $"linear: input must have shape (*, in_features) = (*, {inFeatures}); got {input.Shape}. " +
                "The last dimension of the input must equal the layer's in_features.");
        }
        Tensor y;
        if (input.Dim == 2)
        {
            y = input.MM(weight.T());
        }
        else
        {
            var lead = input.Shape.ToArray()[..^1];
            y = input.Reshape(-1, inFeatures).MM(weight.T()).Reshape([.. lead, weight.Size(0)]);
        }
        return bias is null ? y : y.Add(bias);
    }

    /// <summary>
    /// Looks up rows of <paramref name="weight"/> <c>(num_embeddings, embedding_dim)</c> for int64 indices <c>(*)</c>
    /// → <c>(*, embedding_dim)</c> (<c>F.embedding</c>). The <paramref name="paddingIdx"/> row receives no gradient.
    /// </summary>
    public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.DType != DType.Int64)
        {
            throw new ArgumentException($"embedding: indices must be int64; got {input.DType.TorchName()} of shape {input.Shape}. Convert with .Long().");
        }
        if (weight.Dim != 2)
        {
            throw new ArgumentException($"embedding: weight must be 2-D (num_embeddings, embedding_dim); got {weight.Shape}.");
        }
        var rows = weight.Size(0);
        var dim = weight.Size(1);
        var idx = input.ToArray<long>();
        foreach (var i in idx)
        {
            if (i < 0 || i >= rows)
            {
                throw new IndexOutOfRangeException($"embedding: index {i} is out of range for a table of {rows} rows (valid: 0 ≤ index < {rows}).");
            }
        }
        var w = weight.Contiguous().Detach();
        var outShape = input.Shape.ToArray().Append(dim).ToArray();
        var r = Tensor.Empty(outShape, weight.DType);
        if (weight.DType == DType.Float32)
        {
            Gather(w.AsSpan<float>(), idx, dim, r.AsSpan<float>());
        }
        else
        {
            Gather(w.AsSpan<double>(), idx, dim, r.AsSpan<double>());
        }
        return Tensor.Record(r, "EmbeddingBackward0", [weight], g =>
        {
            var gw = Tensor.Zeros([rows, dim], weight.DType);
            var gc = g.Contiguous();
            if (weight.DType == DType.Float32)
            {
                ScatterAdd(gc.AsSpan<float>(), idx, dim, paddingIdx, gw.AsSpan<float>());
            }
            else
            {
                ScatterAdd(gc.AsSpan<double>(), idx, dim, paddingIdx, gw.AsSpan<double>());
            }
            return [gw];
        });
    }

    private static void Gather<T>(ReadOnlySpan<T> w, long[] idx, int dim, Span<T> dst)
    {
        for (var n = 0; n < idx.Length; n++)
        {
            w.Slice((int)idx[n] * dim, dim).CopyTo(dst.Slice(n * dim, dim));
        }
    }

    private static void ScatterAdd<T>(ReadOnlySpan<T> g, long[] idx, int dim, int? paddingIdx, Span<T> gw)
        where T : System.Numerics.INumber<T>
    {
        for (var n = 0; n < idx.Length; n++)
        {
            if (idx[n] == paddingIdx)
            {
                continue;
            }
            var src = g.Slice(n * dim, dim);
            var dst = gw.Slice((int)idx[n] * dim, dim);
            for (var j = 0; j < dim; j++)
            {
                dst[j] += src[j];
            }
        }
    }

    /// <summary>
    /// One-hot encoding (<c>F.one_hot</c>): int64 <c>(*)</c> → int64 <c>(*, num_classes)</c>; with
    /// <paramref name="numClasses"/> = −1 it is max(input) + 1. Convert with <c>.Float()</c> to feed a layer.
    /// </summary>
    public static Tensor OneHot(Tensor input, int numClasses = -1)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.DType != DType.Int64)
        {
            throw new ArgumentException($"one_hot: input must be int64 class indices; got {input.DType.TorchName()}. Convert with .Long().");
        }
        var idx = input.ToArray<long>();
        if (numClasses < 0)
        {
            numClasses = idx.Length == 0 ? 0 : (int)idx.Max() + 1;
        }
        var r = Tensor.Zeros(input.Shape.ToArray().Append(numClasses).ToArray(), DType.Int64);
        var s = r.AsSpan<long>();
        for (var n = 0; n < idx.Length; n++)
        {
            if (idx[n] < 0 || idx[n] >= numClasses)
            {
                throw new ArgumentException($"one_hot: class index {idx[n]} is out of range for num_classes={numClasses} (valid: 0 ≤ index < {numClasses}).");
            }
            s[(n * numClasses) + (int)idx[n]] = 1;
        }
        return r;
    }

    /// <summary>Softmax along <paramref name="dim"/> (<c>F.softmax</c>); any shape, same shape out.</summary>
    public static Tensor Softmax(Tensor input, int dim)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (values, rows, cols, toLast) = RowsOf(input, dim, "softmax");
        var y = new double[values.Length];
        for (var r = 0; r < rows; r++)
        {
            var x = values.AsSpan(r * cols, cols);
            var o = y.AsSpan(r * cols, cols);
            var max = double.NegativeInfinity;
            foreach (var v in x)
            {
                max = Math.Max(max, v);
            }
            var sum = 0.0;
            for (var j = 0; j < cols; j++)
            {
                o[j] = Math.Exp(x[j] - max);
                sum += o[j];
            }
            for (var j = 0; j < cols; j++)
            {
                o[j] /= sum;
            }
        }
        var result = FromRows(y, toLast, input.DType, dim);
        var yd = y;
        return Tensor.Record(result, "SoftmaxBackward0", [input], g =>
        {
            var (gv, _, _, _) = RowsOf(g, dim, "softmax");
            var gx = new double[gv.Length];
            for (var r = 0; r < rows; r++)
            {
                var dot = 0.0;
                for (var j = 0; j < cols; j++)
                {
                    dot += gv[(r * cols) + j] * yd[(r * cols) + j];
                }
                for (var j = 0; j < cols; j++)
                {
                    gx[(r * cols) + j] = yd[(r * cols) + j] * (gv[(r * cols) + j] - dot);
                }
            }
            return [FromRows(gx, toLast, g.DType, dim)];
        });
    }

    /// <summary>
    /// Log-softmax along <paramref name="dim"/> (<c>F.log_softmax</c>), computed stably as <c>x − max − log Σ exp(x − max)</c>;
    /// any shape, same shape out.
    /// </summary>
    public static Tensor LogSoftmax(Tensor input, int dim)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (values, rows, cols, toLast) = RowsOf(input, dim, "log_softmax");
        var y = new double[values.Length];
        for (var r = 0; r < rows; r++)
        {
            LogSoftmaxRow(values.AsSpan(r * cols, cols), y.AsSpan(r * cols, cols));
        }
        var result = FromRows(y, toLast, input.DType, dim);
        return Tensor.Record(result, "LogSoftmaxBackward0", [input], g =>
        {
            var (gv, _, _, _) = RowsOf(g, dim, "log_softmax");
            var gx = new double[gv.Length];
            for (var r = 0; r < rows; r++)
            {
                var sum = 0.0;
                for (var j = 0; j < cols; j++)
                {
                    sum += gv[(r * cols) + j];
                }
                for (var j = 0; j < cols; j++)
                {
                    gx[(r * cols) + j] = gv[(r * cols) + j] - (Math.Exp(y[(r * cols) + j]) * sum);
                }
            }
            return [FromRows(gx, toLast, g.DType, dim)];
        });
    }

    private static void LogSoftmaxRow(ReadOnlySpan<double> x, Span<double> o)
    {
        var max = double.NegativeInfinity;
        foreach (var v in x)
        {
            max = Math.Max(max, v);
        }
        if (double.IsNegativeInfinity(max))
        {
            max = 0;
        }
        var sum = 0.0;
        foreach (var v in x)
        {
            sum += Math.Exp(v - max);
        }
        var lse = max + Math.Log(sum);
        for (var j = 0; j < x.Length; j++)
        {
            o[j] = x[j] - lse;
        }
    }

    /// <summary>The tensor's values with <paramref name="dim"/> moved last, as rows × cols doubles.</summary>
    private static (double[] Values, int Rows, int Cols, int[] LastShape) RowsOf(Tensor t, int dim, string op)
    {
        if (t.Dim == 0)
        {
            return (t.ToDoubleArray(), 1, 1, []);
        }
        var d = dim < 0 ? dim + t.Dim : dim;
        if (d < 0 || d >= t.Dim)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dim {dim} is out of range for a tensor of shape {t.Shape} ({t.Dim} dimensions).");
        }
        var moved = d == t.Dim - 1 ? t : t.Detach().Movedim(d, -1);
        var cols = t.Size(d);
        return (moved.ToDoubleArray(), cols == 0 ? 0 : t.Numel / cols, cols, moved.Shape.ToArray());
    }

    private static Tensor FromRows(double[] values, int[] lastShape, DType dtype, int dim)
    {
        var t = Tensor.FromArray(values, lastShape.Length == 0 ? [] : lastShape);
        if (lastShape.Length == 0)
        {
            t = t.Reshape();
        }
        else
        {
            var d = dim < 0 ? dim + lastShape.Length : dim;
            if (d != lastShape.Length - 1)
            {
                t = t.Movedim(-1, d).Contiguous();
            }
        }
        return dtype == DType.Float64 ? t : t.To(dtype);
    }

    /// <summary>
    /// Cross-entropy between logits and targets (<c>F.cross_entropy</c>), PyTorch's formulas exactly: input <c>(N, C)</c>,
    /// <c>(N, C, d1, ...)</c> or unbatched <c>(C)</c>.
    /// <para>Class indices (int64 target <c>(N)</c>, <c>(N, d1, ...)</c> or <c>()</c>): per element
    /// <c>ℓ = (1−ε)·w[y]·(−log p_y) + (ε/C)·Σ_c w_c·(−log p_c)</c>; targets equal to <paramref name="ignoreIndex"/>
    /// contribute nothing. <c>mean</c> divides by Σ w[y] over the kept elements (their count without weights).</para>
    /// <para>Class probabilities (a float target with the input's shape and dtype): per element
    /// <c>ℓ = −Σ_c w_c·y'_c·log p_c</c> with <c>y' = (1−ε)·y + ε/C</c>; <c>mean</c> divides by the number of elements
    /// (N·d1·…), <paramref name="ignoreIndex"/> does not apply, and the target gets a gradient too.</para>
    /// <c>sum</c> adds, <c>none</c> returns the per-element losses with shape <c>(N, d1, ...)</c>.
    /// </summary>
    /// <param name="input">Unnormalised logits.</param>
    /// <param name="target">Class indices (int64) in [0, C) or <paramref name="ignoreIndex"/>; or class probabilities with the input's shape.</param>
    /// <param name="weight">Optional per-class weight <c>(C)</c>.</param>
    /// <param name="ignoreIndex">Target value that is skipped (<c>ignore_index</c>, default −100).</param>
    /// <param name="reduction"><c>"mean"</c> (default), <c>"sum"</c> or <c>"none"</c>.</param>
    /// <param name="labelSmoothing">ε in [0, 1] (<c>label_smoothing</c>).</param>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        string reduction = "mean", double labelSmoothing = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        CheckReduction(reduction, "cross_entropy");
        if (labelSmoothing is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "cross_entropy: label_smoothing must be between 0 and 1.");
        }
        if (target.DType != DType.Int64)
        {
            return CrossEntropyWithProbabilities(input, target, weight, reduction, labelSmoothing);
        }
        var unbatched = input.Dim == 1;
        var ishape = input.Shape.ToArray();
        if (unbatched)
        {
            ishape = [1, ishape[0]];
        }
        if (ishape.Length < 2)
        {
            throw new ArgumentException($"cross_entropy: input must be (C), (N, C) or (N, C, d1, ...); got {input.Shape}.");
        }
        var n = ishape[0];
        var c = ishape[1];
        var inner = 1;
        for (var i = 2; i < ishape.Length; i++)
        {
            inner *= ishape[i];
        }
        int[] expectedTarget = unbatched ? [] : [n, .. ishape[2..]];
        if (!target.Shape.ToArray().SequenceEqual(expectedTarget))
        {
            throw new ArgumentException(
                $"cross_entropy: for input of shape {input.Shape} the target must have shape (N, d1, ...) = {new Shape(expectedTarget)}; got {target.Shape}. " +
                "For a language model flatten logits to (B·T, V) and targets to (B·T), or pass logits as (B, V, T).");
        }
        double[]? w = null;
        if (weight is not null)
        {
            if (weight.Dim != 1 || weight.Size(0) != c)
            {
                throw new ArgumentException($"cross_entropy: weight must have shape (C) = ({c}); got {weight.Shape}.");
            }
            w = weight.ToDoubleArray();
        }
        var x = input.ToDoubleArray();
        var y = target.ToArray<long>();
        var count = n * inner;
        var logp = new double[x.Length];
        var wsumAll = 0.0;
        for (var j = 0; j < c; j++)
        {
            wsumAll += w is null ? 1 : w[j];
        }
        var nll = new double[count];
        var smooth = new double[count];
        var wts = new double[count]; // each element's weight in the mean's denominator (0 when ignored)
        // Elements are independent: ranges of them run on the worker pool (the exps dominate: a language model's
        // 1120 × 28 logits took 0.4-0.6 ms on one thread). Sums below stay in element order, so the numbers do not
        // depend on the thread count.
        Kernels.WorkerPool.ForRanges(count, CrossEntropyMinPerThread(c), (e0, e1) =>
        {
            var row = new double[c];
            var lrow = new double[c];
            for (var e = e0; e < e1; e++)
            {
                int b = e / inner, k = e % inner;
                for (var j = 0; j < c; j++)
                {
                    row[j] = x[(((b * c) + j) * inner) + k];
                }
                LogSoftmaxRow(row, lrow);
                for (var j = 0; j < c; j++)
                {
                    logp[(((b * c) + j) * inner) + k] = lrow[j];
                }
                var t = y[e];
                if (t == ignoreIndex)
                {
                    continue;
                }
                if (t < 0 || t >= c)
                {
                    throw new IndexOutOfRangeException($"cross_entropy: target {t} is out of bounds for {c} classes (valid: 0 ≤ target < {c}, or ignore_index={ignoreIndex}).");
                }
                var wt = w is null ? 1 : w[t];
                nll[e] = -wt * lrow[t];
                var s = 0.0;
                for (var j = 0; j < c; j++)
                {
                    s -= (w is null ? 1 : w[j]) * lrow[j];
                }
                smooth[e] = s;
                wts[e] = wt;
            }
        });
        var denom = 0.0;
        for (var e = 0; e < count; e++)
        {
            if (y[e] != ignoreIndex)
            {
                denom += wts[e];
            }
        }
        var eps = labelSmoothing;
        var perElement = new double[count];
        for (var e = 0; e < count; e++)
        {
            perElement[e] = ((1 - eps) * nll[e]) + (eps / c * smooth[e]);
        }
        Tensor result;
        if (reduction == "none")
        {
            result = Tensor.FromArray(perElement, unbatched ? [] : expectedTarget);
            if (unbatched)
            {
                result = result.Reshape();
            }
        }
        else
        {
            var total = perElement.Sum();
            result = Tensor.Scalar(reduction == "mean" ? total / denom : total, DType.Float64);
        }
        if (input.DType != DType.Float64)
        {
            result = result.To(input.DType);
        }
        return Tensor.Record(result, "NllLossBackward0", [input], g =>
        {
            var gv = g.ToDoubleArray();
            var gx = new double[x.Length];
            Kernels.WorkerPool.ForRanges(count, CrossEntropyMinPerThread(c), (e0, e1) =>
            {
                for (var e = e0; e < e1; e++)
                {
                    int b = e / inner, k = e % inner;
                    var t = y[e];
                    if (t == ignoreIndex)
                    {
                        continue;
                    }
                    var up = reduction switch
                    {
                        "none" => gv[e],
                        "sum" => gv[0],
                        _ => gv[0] / denom,
                    };
                    var a = up * (1 - eps) * (w is null ? 1 : w[t]);
                    var sm = up * eps / c;
                    for (var j = 0; j < c; j++)
                    {
                        var at = (((b * c) + j) * inner) + k;
                        var p = Math.Exp(logp[at]);
                        var wj = w is null ? 1 : w[j];
                        gx[at] = (a * (p - (j == t ? 1 : 0))) + (sm * ((p * wsumAll) - wj));
                    }
                }
            });
            var gt = Tensor.FromArray(gx, input.Shape.ToArray());
            return [input.DType == DType.Float64 ? gt : gt.To(input.DType)];
        });
    }

    /// <summary>Fewest elements per thread in <see cref="CrossEntropy"/>: about 8,000 exps (some 50 µs) each.</summary>
    private static int CrossEntropyMinPerThread(int classes) => Math.Max(1, 8192 / Math.Max(1, classes));

    /// <summary>
    /// <see cref="CrossEntropy"/> with class-probability targets, built from differentiable ops (so the target gets a
    /// gradient when it requires one, as in PyTorch).
    /// </summary>
    private static Tensor CrossEntropyWithProbabilities(Tensor input, Tensor target, Tensor? weight, string reduction, double labelSmoothing)
    {
        if (!target.ShapeArray.SequenceEqual(input.ShapeArray))
        {
            throw new ArgumentException(
                $"cross_entropy: a float target holds class probabilities and must have the input's shape {input.Shape}; got {target.Shape}. " +
                "For class indices pass an int64 target of shape (N, d1, ...) (convert with .Long()).");
        }
        if (target.DType != input.DType)
        {
            throw new ArgumentException(
                $"cross_entropy: probability target is {target.DType.TorchName()} but the input is {input.DType.TorchName()}; convert one with .To(dtype).");
        }
        if (input.Dim < 1)
        {
            throw new ArgumentException($"cross_entropy: input must be (C), (N, C) or (N, C, d1, ...); got {input.Shape}.");
        }
        var classDim = input.Dim == 1 ? 0 : 1;
        var c = input.Size(classDim);
        var y = labelSmoothing > 0 ? target.Mul(1 - labelSmoothing).Add(labelSmoothing / c) : target;
        var terms = LogSoftmax(input, classDim).Mul(y);
        if (weight is not null)
        {
            if (weight.Dim != 1 || weight.Size(0) != c)
            {
                throw new ArgumentException($"cross_entropy: weight must have shape (C) = ({c}); got {weight.Shape}.");
            }
            // (C) against the class dimension: (C) unbatched, (1, C, 1, ...) otherwise.
            var wshape = Enumerable.Repeat(1, input.Dim).ToArray();
            wshape[classDim] = c;
            terms = terms.Mul(weight.To(input.DType).Reshape(wshape));
        }
        var perElement = terms.Sum(classDim).Neg();
        return reduction switch
        {
            "none" => perElement,
            "sum" => perElement.Sum(),
            _ => perElement.Mean(), // over the N·d1·… elements (NaN when there are none, as in PyTorch)
        };
    }

    /// <summary>Mean squared error <c>(input − target)²</c> reduced by <paramref name="reduction"/> (<c>F.mse_loss</c>); shapes broadcast.</summary>
    public static Tensor MSELoss(Tensor input, Tensor target, string reduction = "mean")
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        CheckReduction(reduction, "mse_loss");
        var d = input.Sub(target);
        var sq = d.Mul(d);
        return reduction switch
        {
            "none" => sq,
            "sum" => sq.Sum(),
            _ => sq.Mean(),
        };
    }

    /// <summary>
    /// Inverted dropout (<c>F.dropout</c>): when <paramref name="training"/>, zeroes each element with probability
    /// <paramref name="p"/> and scales the others by <c>1/(1−p)</c>; otherwise returns the input. Any shape, same shape out.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (p is < 0 or > 1 || double.IsNaN(p))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "dropout: p must be a probability between 0 and 1.");
        }
        if (!training || p == 0)
        {
            return input;
        }
        if (p == 1)
        {
            return input.Mul(0.0);
        }
        var mask = Tensor.Rand(input.Shape.ToArray(), input.DType, generator).Ge(Tensor.Scalar(p, input.DType)).To(input.DType).Mul(1.0 / (1 - p));
        return input.Mul(mask);
    }

    private static void CheckReduction(string reduction, string op)
    {
        if (reduction is not ("mean" or "sum" or "none"))
        {
            throw new ArgumentException($"{op}: reduction must be \"mean\", \"sum\" or \"none\"; got \"{reduction}\".", nameof(reduction));
        }
    }
}
