using Sequin.Tensors;

namespace Sequin.Nn;

/// <summary>
/// Runs its modules in order, feeding each output to the next (<c>torch.nn.Sequential</c>). Children are named
/// <c>0</c>, <c>1</c>, ... so parameters appear as <c>0.weight</c>, <c>1.bias</c>, as in PyTorch.
/// </summary>
public sealed class Sequential : Module, ITensorModule
{
    private readonly List<ITensorModule> modules = [];

    /// <summary>Creates the container from modules that each implement <see cref="ITensorModule"/>.</summary>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules)
        {
            Append(m);
        }
    }

    /// <summary>Number of modules.</summary>
    public int Count => modules.Count;

    /// <summary>The module at <paramref name="index"/>.</summary>
    public Module this[int index] => (Module)modules[index];

    /// <summary>Adds a module at the end (<c>append</c>).</summary>
    public Sequential Append(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module is not ITensorModule tm)
        {
            throw new ArgumentException(
                $"Sequential: {module.GetType().Name} has no single-tensor Forward (it does not implement ITensorModule); " +
                "recurrent layers return tuples — call them explicitly instead of chaining them.", nameof(module));
        }
        RegisterModule(modules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        modules.Add(tm);
        return this;
    }

    /// <summary>Applies every module in turn; shapes are those of the modules.</summary>
    public Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var m in modules)
        {
            x = m.Forward(x);
        }
        return x;
    }
}
