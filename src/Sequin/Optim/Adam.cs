using Sequin.Tensors;

namespace Sequin.Optim;

/// <summary>
/// Adam (<c>torch.optim.Adam</c>) with optional AMSGrad and L2 weight decay added to the gradient; with
/// <c>decoupledWeightDecay</c> it is AdamW. PyTorch's update exactly:
/// <c>m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − (γ/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)</c>
/// (AMSGrad uses the running maximum of v).
/// </summary>
public class Adam : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate γ (default 1e-3).</param>
    /// <param name="beta1">First-moment decay β₁ (<c>betas[0]</c>, default 0.9).</param>
    /// <param name="beta2">Second-moment decay β₂ (<c>betas[1]</c>, default 0.999).</param>
    /// <param name="eps">Denominator term ε (default 1e-8).</param>
    /// <param name="weightDecay">Weight decay λ (<c>weight_decay</c>).</param>
    /// <param name="amsgrad">Use the AMSGrad variant.</param>
    /// <param name="maximize">Maximize the objective.</param>
    /// <param name="decoupledWeightDecay">Decay the weights directly, θ ← θ(1 − γλ), as AdamW does.</param>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false, bool decoupledWeightDecay = false)
        : base(parameters, new Dictionary<string, double>
        {
            ["lr"] = lr,
            ["beta1"] = beta1,
            ["beta2"] = beta2,
            ["eps"] = eps,
            ["weight_decay"] = weightDecay,
            ["amsgrad"] = amsgrad ? 1 : 0,
            ["maximize"] = maximize ? 1 : 0,
            ["decoupled_weight_decay"] = decoupledWeightDecay ? 1 : 0,
        })
    {
        if (lr < 0 || eps < 0 || weightDecay < 0 || beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1)
        {
            throw new ArgumentException($"{GetType().Name}: invalid hyper-parameters lr={lr}, betas=({beta1}, {beta2}), eps={eps}, weight_decay={weightDecay}; " +
                "need lr, eps, weight_decay ≥ 0 and 0 ≤ beta < 1.");
        }
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Dictionary<string, Tensor> state, double[] param, double[] grad, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(param);
        ArgumentNullException.ThrowIfNull(grad);
        var lr = group.Lr;
        var b1 = group.Get("beta1");
        var b2 = group.Get("beta2");
        var eps = group.Get("eps");
        var wd = group.Get("weight_decay");
        var amsgrad = group.Flag("amsgrad");
        var n = param.Length;
        if (group.Flag("maximize"))
        {
            for (var i = 0; i < n; i++)
            {
                grad[i] = -grad[i];
            }
        }
        var step = IncrementStep(state);
        if (wd != 0)
        {
            if (group.Flag("decoupled_weight_decay"))
            {
                for (var i = 0; i < n; i++)
                {
                    param[i] *= 1 - (lr * wd);
                }
            }
            else
            {
                for (var i = 0; i < n; i++)
                {
                    grad[i] += wd * param[i];
                }
            }
        }
        var m = Buffer(state, "exp_avg", shape);
        var v = Buffer(state, "exp_avg_sq", shape);
        var vmax = amsgrad ? Buffer(state, "max_exp_avg_sq", shape) : null;
        var bc1 = 1 - Math.Pow(b1, step);
        var bc2Sqrt = Math.Sqrt(1 - Math.Pow(b2, step));
        var stepSize = lr / bc1;
        var i0 = vmax is null ? UpdateVectorized(param, grad, m, v, b1, b2, eps, bc2Sqrt, stepSize) : 0;
        for (var i = i0; i < n; i++)
        {
            m[i] += (grad[i] - m[i]) * (1 - b1);
            v[i] = (v[i] * b2) + ((1 - b2) * grad[i] * grad[i]);
            var vv = v[i];
            if (vmax is not null)
            {
                vmax[i] = Math.Max(vmax[i], v[i]);
                vv = vmax[i];
            }
            var denom = (Math.Sqrt(vv) / bc2Sqrt) + eps;
            param[i] -= stepSize * m[i] / denom;
        }
    }

    /// <summary>
    /// The update loop without amsgrad, <see cref="System.Numerics.Vector{T}.Count"/> elements at a time: the same operations in the same
    /// order as the scalar loop (no fused multiply-adds), so the same numbers. Returns the first element left to it.
    /// </summary>
    private static int UpdateVectorized(double[] param, double[] grad, double[] m, double[] v, double b1, double b2, double eps,
        double bc2Sqrt, double stepSize)
    {
        var w = System.Numerics.Vector<double>.Count;
        if (!System.Numerics.Vector.IsHardwareAccelerated)
        {
            return 0;
        }
        var (c1, c2) = (new System.Numerics.Vector<double>(1 - b1), new System.Numerics.Vector<double>(1 - b2));
        var (vb2, veps, vbc, vstep) = (new System.Numerics.Vector<double>(b2), new System.Numerics.Vector<double>(eps),
            new System.Numerics.Vector<double>(bc2Sqrt), new System.Numerics.Vector<double>(stepSize));
        var i = 0;
        for (; i + w <= param.Length; i += w)
        {
            var g = new System.Numerics.Vector<double>(grad, i);
            var mi = new System.Numerics.Vector<double>(m, i);
            mi += (g - mi) * c1;
            var vi = (new System.Numerics.Vector<double>(v, i) * vb2) + (c2 * g * g);
            var denom = (System.Numerics.Vector.SquareRoot(vi) / vbc) + veps;
            var p = new System.Numerics.Vector<double>(param, i) - (vstep * mi / denom);
            mi.CopyTo(m, i);
            vi.CopyTo(v, i);
            p.CopyTo(param, i);
        }
        return i;
    }
}

/// <summary>
/// AdamW (<c>torch.optim.AdamW</c>): Adam with decoupled weight decay <c>θ ← θ(1 − γλ)</c> before the Adam step;
/// default <c>weight_decay</c> 0.01.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer; arguments as in <see cref="Adam"/>.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (default 1e-3).</param>
    /// <param name="beta1">β₁ (default 0.9).</param>
    /// <param name="beta2">β₂ (default 0.999).</param>
    /// <param name="eps">ε (default 1e-8).</param>
    /// <param name="weightDecay">Decoupled weight decay λ (default 0.01).</param>
    /// <param name="amsgrad">Use the AMSGrad variant.</param>
    /// <param name="maximize">Maximize the objective.</param>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay: true)
    {
    }
}
