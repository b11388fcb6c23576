using Sequin.Tensors;

namespace Sequin.Optim;

/// <summary>
/// RMSprop (<c>torch.optim.RMSprop</c>), PyTorch's update exactly:
/// <c>s ← αs + (1−α)g²; d = √s + ε</c> (centered: <c>ḡ ← αḡ + (1−α)g; d = √(s − ḡ²) + ε</c>);
/// then <c>b ← μb + g/d; θ ← θ − γb</c> with momentum, else <c>θ ← θ − γg/d</c>.
/// </summary>
public sealed class RMSprop : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate γ (default 1e-2).</param>
    /// <param name="alpha">Smoothing constant α (default 0.99).</param>
    /// <param name="eps">ε (default 1e-8).</param>
    /// <param name="weightDecay">L2 penalty λ.</param>
    /// <param name="momentum">Momentum μ.</param>
    /// <param name="centered">Normalise by the estimated variance of the gradient.</param>
    /// <param name="maximize">Maximize the objective.</param>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0,
        double momentum = 0, bool centered = false, bool maximize = false)
        : base(parameters, new Dictionary<string, double>
        {
            ["lr"] = lr,
            ["alpha"] = alpha,
            ["eps"] = eps,
            ["weight_decay"] = weightDecay,
            ["momentum"] = momentum,
            ["centered"] = centered ? 1 : 0,
            ["maximize"] = maximize ? 1 : 0,
        })
    {
        if (lr < 0 || eps < 0 || weightDecay < 0 || momentum < 0 || alpha < 0)
        {
            throw new ArgumentException($"RMSprop: lr, alpha, eps, weight_decay and momentum must be non-negative; got lr={lr}, alpha={alpha}, eps={eps}, weight_decay={weightDecay}, momentum={momentum}.");
        }
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Dictionary<string, Tensor> state, double[] param, double[] grad, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(param);
        ArgumentNullException.ThrowIfNull(grad);
        var lr = group.Lr;
        var alpha = group.Get("alpha");
        var eps = group.Get("eps");
        var wd = group.Get("weight_decay");
        var mu = group.Get("momentum");
        var centered = group.Flag("centered");
        var n = param.Length;
        if (group.Flag("maximize"))
        {
            for (var i = 0; i < n; i++)
            {
                grad[i] = -grad[i];
            }
        }
        IncrementStep(state);
        if (wd != 0)
        {
            for (var i = 0; i < n; i++)
            {
                grad[i] += wd * param[i];
            }
        }
        var sq = Buffer(state, "square_avg", shape);
        var gavg = centered ? Buffer(state, "grad_avg", shape) : null;
        var buf = mu > 0 ? Buffer(state, "momentum_buffer", shape) : null;
        for (var i = 0; i < n; i++)
        {
            sq[i] = (sq[i] * alpha) + ((1 - alpha) * grad[i] * grad[i]);
            double avg;
            if (gavg is not null)
            {
                gavg[i] += (grad[i] - gavg[i]) * (1 - alpha);
                avg = Math.Sqrt(sq[i] - (gavg[i] * gavg[i])) + eps;
            }
            else
            {
                avg = Math.Sqrt(sq[i]) + eps;
            }
            if (buf is not null)
            {
                buf[i] = (buf[i] * mu) + (grad[i] / avg);
                param[i] -= lr * buf[i];
            }
            else
            {
                param[i] -= lr * grad[i] / avg;
            }
        }
    }
}
