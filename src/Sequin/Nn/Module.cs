using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// Base class of every layer (<c>torch.nn.Module</c>): owns parameters, buffers and child modules under
/// names, so that <see cref="NamedParameters"/> and <see cref="StateDict"/> give PyTorch's dotted names
/// (<c>rnn.weight_ih_l0</c>, <c>fc.bias</c>) in registration order.
/// </summary>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Tensor>> parameters = [];
    private readonly List<KeyValuePair<string, Tensor>> buffers = [];
    private readonly List<KeyValuePair<string, Module>> children = [];

    /// <summary>Whether the module is in training mode (<c>module.training</c>); affects dropout.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers (or replaces) a parameter; it is made a leaf that requires grad.</summary>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.RequiresGrad = true;
        Replace(parameters, name, parameter);
        return parameter;
    }

    /// <summary>Registers (or replaces) a buffer: state saved in the state dict but not trained.</summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        Replace(buffers, name, buffer);
        return buffer;
    }

    /// <summary>Registers (or replaces) a child module.</summary>
    protected T RegisterModule<T>(string name, T module)
        where T : Module
    {
        Replace(children, name, module);
        return module;
    }

    private static void Replace<T>(List<KeyValuePair<string, T>> list, string name, T value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var i = list.FindIndex(p => p.Key == name);
        if (i >= 0)
        {
            list[i] = new(name, value);
        }
        else
        {
            list.Add(new(name, value));
        }
    }

    /// <summary>This module's own parameters, without children's, in registration order.</summary>
    protected IReadOnlyList<KeyValuePair<string, Tensor>> OwnParameters => parameters;

    /// <summary>Direct children with their names (<c>module.named_children()</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => children.Select(c => (c.Key, c.Value));

    /// <summary>Every parameter with its dotted name, this module's first, then each child's (<c>module.named_parameters()</c>).</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var p in parameters)
        {
            yield return (prefix + p.Key, p.Value);
        }
        foreach (var c in children)
        {
            foreach (var p in c.Value.NamedParameters(prefix + c.Key + "."))
            {
                yield return p;
            }
        }
    }

    /// <summary>Every parameter (<c>module.parameters()</c>).</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer with its dotted name (<c>module.named_buffers()</c>).</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var b in buffers)
        {
            yield return (prefix + b.Key, b.Value);
        }
        foreach (var c in children)
        {
            foreach (var b in c.Value.NamedBuffers(prefix + c.Key + "."))
            {
                yield return b;
            }
        }
    }

    /// <summary>Sets training mode on this module and every descendant (<c>module.train(mode)</c>).</summary>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var c in children)
        {
            c.Value.Train(mode);
        }
        return this;
    }

    /// <summary>Sets evaluation mode (<c>module.eval()</c>).</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears every parameter's gradient (<c>module.zero_grad()</c>, set_to_none=True).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.Grad = null;
        }
    }

    /// <summary>Parameters then buffers under their dotted names, sharing storage with the module (<c>module.state_dict()</c>).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (name, p) in NamedParameters())
        {
            d[name] = p.Detach();
        }
        foreach (var (name, b) in NamedBuffers())
        {
            d[name] = b.Detach();
        }
        return d;
    }

    /// <summary>The keys that <see cref="LoadStateDict"/> could not match.</summary>
    /// <param name="MissingKeys">Keys the module has but the state dict lacks.</param>
    /// <param name="UnexpectedKeys">Keys the state dict has but the module lacks.</param>
    public sealed record LoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

    /// <summary>
    /// Copies values into the module's parameters and buffers by name (<c>module.load_state_dict</c>). With
    /// <paramref name="strict"/>, missing or unexpected keys throw; shapes must always match. Values are converted
    /// to each parameter's dtype.
    /// </summary>
    public LoadResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var own = NamedParameters().Concat(NamedBuffers()).ToList();
        var missing = own.Where(p => !stateDict.ContainsKey(p.Item1)).Select(p => p.Item1).ToList();
        var ownNames = own.Select(p => p.Item1).ToHashSet();
        var unexpected = stateDict.Keys.Where(k => !ownNames.Contains(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            throw new InvalidOperationException(
                $"Error(s) in loading state_dict for {GetType().Name}: " +
                (missing.Count > 0 ? $"Missing key(s): {string.Join(", ", missing)}. " : "") +
                (unexpected.Count > 0 ? $"Unexpected key(s): {string.Join(", ", unexpected)}." : ""));
        }
        foreach (var (name, target) in own)
        {
            if (!stateDict.TryGetValue(name, out var src))
            {
                continue;
            }
            if (src.Shape != target.Shape)
            {
                throw new InvalidOperationException(
                    $"Error in loading state_dict for {GetType().Name}: size mismatch for {name}: the checkpoint has shape {src.Shape}, " +
                    $"the module expects {target.Shape}.");
            }
            using var _ = new Autograd.NoGrad();
            target.Copy_(src);
        }
        NotifyStateLoaded(this);
        return new LoadResult(missing, unexpected);
    }

    /// <summary>
    /// Called on the module and each of its descendants after <see cref="LoadStateDict"/> copied new values into their
    /// parameters: for modules that keep something derived from them (a recurrent layer's packed weights).
    /// </summary>
    private protected virtual void OnStateLoaded()
    {
    }

    private static void NotifyStateLoaded(Module module)
    {
        module.OnStateLoaded();
        foreach (var (_, child) in module.children)
        {
            NotifyStateLoaded(child);
        }
    }
}
