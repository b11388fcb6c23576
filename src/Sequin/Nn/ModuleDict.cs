namespace Sequin.Nn;

/// <summary>
/// Child modules under string keys, in insertion order (<c>torch.nn.ModuleDict</c>); parameters are named
/// <c>key.weight</c>. Keys must not contain dots.
/// </summary>
public sealed class ModuleDict : Module
{
    private readonly List<string> keys = [];
    private readonly Dictionary<string, Module> items = [];

    /// <summary>The keys in insertion order.</summary>
    public IReadOnlyList<string> Keys => keys;

    /// <summary>Number of modules.</summary>
    public int Count => keys.Count;

    /// <summary>Gets or replaces the module under <paramref name="key"/>.</summary>
    public Module this[string key]
    {
        get => items.TryGetValue(key, out var m)
            ? m
            : throw new KeyNotFoundException($"ModuleDict has no module '{key}'; keys are: {string.Join(", ", keys)}.");
        set => Add(key, value);
    }

    /// <summary>Adds or replaces a module.</summary>
    public void Add(string key, Module module)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(module);
        if (key.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"ModuleDict: key '{key}' contains a dot, which would break state-dict names; use another key.", nameof(key));
        }
        if (!items.ContainsKey(key))
        {
            keys.Add(key);
        }
        items[key] = module;
        RegisterModule(key, module);
    }

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    public bool ContainsKey(string key) => items.ContainsKey(key);
}
