using Sequin.Tensors;

namespace Sequin.Optim;

/// <summary>
/// One group of parameters sharing hyper-parameters (an entry of PyTorch's <c>optimizer.param_groups</c>).
/// Hyper-parameters are kept by their PyTorch names in <see cref="Options"/> (booleans as 0/1), e.g.
/// <c>lr</c>, <c>momentum</c>, <c>weight_decay</c>, <c>beta1</c>, <c>beta2</c>.
/// </summary>
public sealed class ParamGroup
{
    /// <summary>Creates a group from parameters and options.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters, IDictionary<string, double>? options = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Params = [.. parameters];
        Options = options is null ? [] : new Dictionary<string, double>(options);
    }

    /// <summary>The parameters (leaf tensors that require grad).</summary>
    public IReadOnlyList<Tensor> Params { get; }

    /// <summary>The hyper-parameters by PyTorch name.</summary>
    public Dictionary<string, double> Options { get; }

    /// <summary>The learning rate (<c>lr</c>); schedulers change it.</summary>
    public double Lr
    {
        get => Options["lr"];
        set => Options["lr"] = value;
    }

    /// <summary>Reads an option, or <paramref name="fallback"/> when absent.</summary>
    public double Get(string name, double fallback = 0) => Options.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>Reads a boolean option (stored as 0/1).</summary>
    public bool Flag(string name) => Get(name) != 0;
}

/// <summary>
/// Base class of the optimizers (<c>torch.optim.Optimizer</c>): parameter groups, per-parameter state (momentum
/// buffers, moment estimates, step counts) and <see cref="Step"/>. State can be exported and restored by parameter
/// index for checkpoints, like <c>optimizer.state_dict()</c>.
/// </summary>
public abstract class Optimizer
{
    private readonly List<ParamGroup> groups = [];
    private readonly Dictionary<Tensor, Dictionary<string, Tensor>> state = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the optimizer over one group with the given defaults.</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, IDictionary<string, double> defaults)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(defaults);
        Defaults = new Dictionary<string, double>(defaults);
        AddParamGroup(new ParamGroup(parameters));
    }

    /// <summary>The default hyper-parameters, copied into each group that does not set them.</summary>
    public IReadOnlyDictionary<string, double> Defaults { get; }

    /// <summary>The parameter groups (<c>param_groups</c>).</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => groups;

    /// <summary>Adds a group; missing hyper-parameters take the defaults (<c>add_param_group</c>).</summary>
    public void AddParamGroup(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.Params.Count == 0 && groups.Count == 0)
        {
            throw new ArgumentException($"{GetType().Name}: got an empty parameter list; pass model.Parameters() of a model that has parameters.");
        }
        foreach (var p in group.Params)
        {
            if (!p.IsLeaf || !p.DType.IsFloatingPoint())
            {
                throw new ArgumentException($"{GetType().Name}: can only optimize floating-point leaf tensors; got a {(p.IsLeaf ? p.DType.TorchName() : "non-leaf")} tensor of shape {p.Shape}.");
            }
        }
        foreach (var (k, v) in Defaults)
        {
            group.Options.TryAdd(k, v);
        }
        groups.Add(group);
    }

    /// <summary>The state of <paramref name="parameter"/> (created empty on first use).</summary>
    protected Dictionary<string, Tensor> StateOf(Tensor parameter)
    {
        if (!state.TryGetValue(parameter, out var s))
        {
            s = [];
            state[parameter] = s;
        }
        return s;
    }

    /// <summary>Clears the gradients of every parameter (<c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var g in groups)
        {
            foreach (var p in g.Params)
            {
                p.Grad = null;
            }
        }
    }

    /// <summary>Performs one update of every parameter that has a gradient (<c>optimizer.step()</c>).</summary>
    public void Step()
    {
        using var _ = new Autograd.NoGrad();
        foreach (var g in groups)
        {
            foreach (var p in g.Params)
            {
                if (p.Grad is null)
                {
                    continue;
                }
                var n = p.Numel;
                if (!scratch.TryGetValue(p, out var buffers) || buffers.Param.Length != n)
                {
                    buffers = (new double[n], new double[n]);
                    scratch[p] = buffers;
                }
                Load(p, buffers.Param);
                Load(p.Grad, buffers.Grad);
                Update(g, StateOf(p), buffers.Param, buffers.Grad, p.Shape.ToArray(), p.DType);
                Store(p, buffers.Param);
            }
        }
    }

    private readonly Dictionary<Tensor, (double[] Param, double[] Grad)> scratch = new(ReferenceEqualityComparer.Instance);

    private static void Load(Tensor t, double[] dst)
    {
        if (!t.IsContiguous)
        {
            t.ToDoubleArray().CopyTo(dst, 0);
        }
        else if (t.DType == DType.Float32)
        {
            // Widening is exact; vectorised (a scalar loop here and in Store took most of a small model's SGD step).
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<float, double>(t.AsSpan<float>()[..dst.Length], dst);
        }
        else
        {
            t.AsSpan<double>().CopyTo(dst);
        }
    }

    private static void Store(Tensor p, double[] values)
    {
        if (!p.IsContiguous)
        {
            p.Copy_(Tensor.FromArray(values, p.Numel).Reshape(p.Shape.ToArray()));
        }
        else if (p.DType == DType.Float32)
        {
            // Round to nearest, as the cast (float)value does.
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(values, p.AsSpan<float>()[..values.Length]);
        }
        else
        {
            values.CopyTo(p.AsSpan<double>());
        }
    }

    /// <summary>
    /// Updates one parameter in place. <paramref name="param"/> and <paramref name="grad"/> are its values in row-major
    /// order; state tensors are float64 with the parameter's <paramref name="shape"/> and may be created as needed.
    /// </summary>
    protected abstract void Update(ParamGroup group, Dictionary<string, Tensor> state, double[] param, double[] grad, int[] shape, DType dtype);

    /// <summary>Gets the float64 state buffer <paramref name="name"/>, creating it with <paramref name="init"/> when absent.</summary>
    protected static double[] Buffer(Dictionary<string, Tensor> state, string name, int[] shape, Func<double[]>? init = null, bool created = false)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TryGetValue(name, out var t))
        {
            var v = init?.Invoke() ?? new double[ShapeUtil.Numel(shape)];
            t = Tensor.FromArray(v, shape.Length == 0 ? [] : shape);
            if (shape.Length == 0)
            {
                t = t.Reshape();
            }
            state[name] = t;
        }
        return t.Data<double>();
    }

    /// <summary>Increments and returns the scalar <c>step</c> count stored in the state.</summary>
    protected static double IncrementStep(Dictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TryGetValue("step", out var t))
        {
            t = Tensor.Scalar(0, DType.Float64);
            state["step"] = t;
        }
        var d = t.Data<double>();
        d[t.Offset] += 1;
        return d[t.Offset];
    }

    /// <summary>
    /// The per-parameter state by parameter index (counting through the groups in order), as
    /// <c>state_dict()["state"]</c>: index → name → tensor.
    /// </summary>
    public Dictionary<int, Dictionary<string, Tensor>> StateDict()
    {
        var result = new Dictionary<int, Dictionary<string, Tensor>>();
        var i = 0;
        foreach (var g in groups)
        {
            foreach (var p in g.Params)
            {
                if (state.TryGetValue(p, out var s))
                {
                    result[i] = s.ToDictionary(kv => kv.Key, kv => kv.Value.Clone().Detach());
                }
                i++;
            }
        }
        return result;
    }

    /// <summary>Restores state exported by <see cref="StateDict"/>; shapes must match the parameters.</summary>
    public void LoadStateDict(IReadOnlyDictionary<int, Dictionary<string, Tensor>> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        state.Clear();
        var i = 0;
        foreach (var g in groups)
        {
            foreach (var p in g.Params)
            {
                if (stateDict.TryGetValue(i, out var s))
                {
                    foreach (var (name, t) in s)
                    {
                        if (t.Dim != 0 && t.Shape != p.Shape)
                        {
                            throw new InvalidOperationException(
                                $"{GetType().Name}.LoadStateDict: state '{name}' of parameter {i} has shape {t.Shape} but the parameter has shape {p.Shape}; " +
                                "the checkpoint belongs to a different model.");
                        }
                    }
                    state[p] = s.ToDictionary(kv => kv.Key, kv => kv.Value.Double().Contiguous().Clone().Detach());
                }
                i++;
            }
        }
        if (stateDict.Keys.Any(k => k >= i))
        {
            throw new InvalidOperationException($"{GetType().Name}.LoadStateDict: the state has entries for parameter indices up to {stateDict.Keys.Max()} but the optimizer has {i} parameters.");
        }
    }
}
