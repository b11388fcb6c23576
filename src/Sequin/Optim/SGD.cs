using Sequin.Tensors;

namespace Sequin.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay
/// (<c>torch.optim.SGD</c>), PyTorch's update exactly:
/// <c>g ← g + λθ; b ← μb + (1−τ)g (b ← g on the first step); g ← g + μb (nesterov) or b; θ ← θ − γg</c>.
/// </summary>
public sealed class SGD : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">Parameters to optimize, e.g. <c>model.Parameters()</c>.</param>
    /// <param name="lr">Learning rate γ (PyTorch default 1e-3).</param>
    /// <param name="momentum">Momentum factor μ.</param>
    /// <param name="dampening">Dampening τ for momentum.</param>
    /// <param name="weightDecay">L2 penalty λ (<c>weight_decay</c>).</param>
    /// <param name="nesterov">Nesterov momentum; needs momentum &gt; 0 and dampening 0.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing.</param>
    public SGD(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false, bool maximize = false)
        : base(parameters, new Dictionary<string, double>
        {
            ["lr"] = lr,
            ["momentum"] = momentum,
            ["dampening"] = dampening,
            ["weight_decay"] = weightDecay,
            ["nesterov"] = nesterov ? 1 : 0,
            ["maximize"] = maximize ? 1 : 0,
        })
    {
        if (lr < 0 || momentum < 0 || weightDecay < 0)
        {
            throw new ArgumentException($"SGD: lr, momentum and weight_decay must be non-negative; got lr={lr}, momentum={momentum}, weight_decay={weightDecay}.");
        }
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException("SGD: Nesterov momentum requires a momentum > 0 and zero dampening.");
        }
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Dictionary<string, Tensor> state, double[] param, double[] grad, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(param);
        ArgumentNullException.ThrowIfNull(grad);
        var lr = group.Lr;
        var wd = group.Get("weight_decay");
        var mu = group.Get("momentum");
        var tau = group.Get("dampening");
        var nesterov = group.Flag("nesterov");
        var maximize = group.Flag("maximize");
        var n = param.Length;
        if (maximize)
        {
            for (var i = 0; i < n; i++)
            {
                grad[i] = -grad[i];
            }
        }
        if (wd != 0)
        {
            for (var i = 0; i < n; i++)
            {
                grad[i] += wd * param[i];
            }
        }
        if (mu != 0)
        {
            var first = !state.ContainsKey("momentum_buffer");
            var buf = Buffer(state, "momentum_buffer", shape, () => (double[])grad.Clone());
            if (!first)
            {
                for (var i = 0; i < n; i++)
                {
                    buf[i] = (mu * buf[i]) + ((1 - tau) * grad[i]);
                }
            }
            for (var i = 0; i < n; i++)
            {
                grad[i] = nesterov ? grad[i] + (mu * buf[i]) : buf[i];
            }
        }
        // param − lr·grad as (grad · −lr) + param: negating is exact, so the same two roundings as the scalar form.
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(grad, -lr, param, param);
    }
}
