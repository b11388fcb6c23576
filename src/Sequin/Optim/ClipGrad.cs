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
            var sum = 0.0;
            foreach (var g in grads)
            {
                foreach (var v in g.ToDoubleArray())
                {
                    sum += normType == 2 ? v * v : normType == 1 ? Math.Abs(v) : Math.Pow(Math.Abs(v), normType);
                }
            }
            total = normType == 2 ? Math.Sqrt(sum) : normType == 1 ? sum : Math.Pow(sum, 1 / normType);
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
