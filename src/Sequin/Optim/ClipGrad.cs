using System.Numerics;
using Sequin.Tensors;

namespace Sequin.Optim;

/// <summary>Gradient clipping (<c>torch.nn.utils.clip_grad_norm_</c>, <c>clip_grad_value_</c>).</summary>
public static class ClipGrad
{
    /// <summary>
    /// Rescales the gradients of <paramref name="parameters"/> in place so that their total norm (all gradients
    /// viewed as one vector) is at most <paramref name="maxNorm"/>: each is multiplied by
    /// <c>min(1, maxNorm / (total + 1e−6))</c>, as PyTorch does. Parameters without a gradient are skipped.
    /// </summary>
    /// <param name="parameters">The parameters whose <c>Grad</c> is clipped.</param>
    /// <param name="maxNorm">Largest allowed total norm (<c>max_norm</c>).</param>
    /// <param name="normType">p of the p-norm; <see cref="double.PositiveInfinity"/> for the max-abs norm (<c>norm_type</c>).</param>
    /// <param name="errorIfNonfinite">Throw when the total norm is NaN or infinite (<c>error_if_nonfinite</c>).</param>
    /// <returns>The total norm before clipping.</returns>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = parameters.Where(p => p.Grad is not null).Select(p => p.Grad!).ToList();
        if (grads.Count == 0)
        {
            return 0;
        }
        double total;
        if (double.IsPositiveInfinity(normType))
        {
            total = 0;
            foreach (var g in grads)
            {
                foreach (var v in g.ToDoubleArray())
                {
                    var a = Math.Abs(v);
                    total = double.IsNaN(a) || a > total ? a : total;
                }
            }
        }
        else
        {
            if (normType <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(normType), normType, "clip_grad_norm: norm_type must be positive or infinity.");
            }
            if (normType == 2)
            {
                total = Math.Sqrt(SquaredNorm(grads));
            }
            else
            {
                var sum = 0.0;
                foreach (var g in grads)
                {
                    foreach (var v in g.ToDoubleArray())
                    {
                        sum += normType == 1 ? Math.Abs(v) : Math.Pow(Math.Abs(v), normType);
                    }
                }
                total = normType == 1 ? sum : Math.Pow(sum, 1 / normType);
            }
        }
        if (errorIfNonfinite && !double.IsFinite(total))
        {
            throw new InvalidOperationException(
                $"clip_grad_norm: the total norm of order {normType} of the gradients is {total}, so they cannot be clipped. " +
                "The loss has diverged: lower the learning rate, or pass errorIfNonfinite: false to clip anyway.");
        }
        var coef = Math.Min(maxNorm / (total + 1e-6), 1.0);
        using var _ = new Autograd.NoGrad();
        foreach (var g in grads)
        {
            g.Mul_(coef);
        }
        return total;
    }

    /// <summary>The 2-norm of all gradients of <paramref name="parameters"/> viewed as one vector (parameters without a gradient are skipped).</summary>
    public static double GradNorm(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return Math.Sqrt(SquaredNorm(parameters.Where(p => p.Grad is not null).Select(p => p.Grad!)));
    }

    /// <summary>Σ g² over every element of <paramref name="grads"/>, in double (the 2-norm of <see cref="GradNorm"/> and <see cref="ClipGradNorm"/>).</summary>
    private static double SquaredNorm(IEnumerable<Tensor> grads)
    {
        var sum = 0.0;
        foreach (var g in grads)
        {
            if (g.IsContiguous && g.DType == DType.Float32)
            {
                sum += SumOfSquares(g.AsSpan<float>());
                continue;
            }
            foreach (var v in g.ToDoubleArray())
            {
                sum += v * v;
            }
        }
        return sum;
    }

    /// <summary>
    /// Σ x² of float values, accumulated in double (as the element loop it replaces did) with the values widened a
    /// vector at a time into four independent sums: the element loop's one dependent chain of additions was 3.8% of a
    /// d2l training step, where the trainer takes the gradients' norm at every step.
    /// </summary>
    internal static double SumOfSquares(ReadOnlySpan<float> values)
    {
        var i = 0;
        var sum = 0.0;
        if (Vector.IsHardwareAccelerated && values.Length >= 2 * Vector<float>.Count)
        {
            Vector<double> s0 = Vector<double>.Zero, s1 = Vector<double>.Zero, s2 = Vector<double>.Zero, s3 = Vector<double>.Zero;
            var w = Vector<float>.Count;
            for (; i + (2 * w) <= values.Length; i += 2 * w)
            {
                Vector.Widen(new Vector<float>(values[i..]), out var a, out var b);
                Vector.Widen(new Vector<float>(values[(i + w)..]), out var c, out var d);
                s0 += a * a;
                s1 += b * b;
                s2 += c * c;
                s3 += d * d;
            }
            sum = Vector.Sum((s0 + s1) + (s2 + s3));
        }
        for (; i < values.Length; i++)
        {
            sum += (double)values[i] * values[i];
        }
        return sum;
    }

    /// <summary>Clamps every gradient element of <paramref name="parameters"/> into [−clipValue, clipValue] in place (<c>clip_grad_value_</c>).</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var _ = new Autograd.NoGrad();
        foreach (var p in parameters)
        {
            p.Grad?.Clamp_(-clipValue, clipValue);
        }
    }
}
