namespace Sequin.Nn;

/// <summary>
/// A list of child modules registered under <c>0</c>, <c>1</c>, ... (<c>torch.nn.ModuleList</c>); it has no forward.
/// </summary>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    private readonly List<Module> items = [];

    /// <summary>Creates the list.</summary>
    public ModuleList(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules)
        {
            Add(m);
        }
    }

    /// <summary>Number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The module at <paramref name="index"/>.</summary>
    public Module this[int index] => items[index];

    /// <summary>Appends a module (<c>append</c>).</summary>
    public void Add(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        items.Add(module);
    }

    /// <summary>Enumerates the modules in order.</summary>
    public IEnumerator<Module> GetEnumerator() => items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
