using System.Globalization;
using Sequin.IO;
using Sequin.Tensors;

namespace Sequin.Verification;

/// <summary>
/// One PyTorch golden case: a safetensors file holding the weights, inputs, upstream gradients and expected results of
/// one computation, with its description in <c>__metadata__</c> (format: tests/Sequin.Tests/Golden/FORMAT.md).
/// </summary>
public sealed class GoldenCase
{
    private GoldenCase(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file the case was read from.</summary>
    public string Path { get; }

    /// <summary>The case name (<c>name</c> metadata, else the file name without extension).</summary>
    public string Name => Metadata.TryGetValue("name", out var n) && n.Length > 0 ? n : System.IO.Path.GetFileNameWithoutExtension(Path);

    /// <summary>The kind (<c>layer</c>, <c>cell</c>, <c>lm</c>, <c>optim</c>, <c>clip</c>) that selects the <see cref="IGoldenHandler"/>.</summary>
    public string Kind => Metadata.TryGetValue("kind", out var k) ? k : "";

    /// <summary>Every tensor in the file by name (float64 references, int64 indices, <c>_f32</c> float32 results).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> strings (<c>mode</c>, <c>hidden_size</c>, <c>batch_first</c>, ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads a case file.</summary>
    /// <param name="path">A <c>.safetensors</c> golden file.</param>
    /// <exception cref="InvalidDataException">The file is not valid safetensors.</exception>
    public static GoldenCase Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Load(path);
        return new GoldenCase(path, tensors, metadata);
    }

    /// <summary>The tensor <paramref name="name"/>; throws naming the case and the tensors it has when absent.</summary>
    /// <param name="name">Tensor name, e.g. <c>grad.weight_ih_l0</c>.</param>
    public Tensor Get(string name)
        => Tensors.TryGetValue(name, out var t) ? t
         : throw new KeyNotFoundException($"Golden case '{Name}' has no tensor '{name}'. It has: {string.Join(", ", Tensors.Keys.Order(StringComparer.Ordinal))}.");

    /// <summary>Whether the case holds tensor <paramref name="name"/>.</summary>
    /// <param name="name">Tensor name.</param>
    public bool Has(string name) => Tensors.ContainsKey(name);

    /// <summary>The metadata string <paramref name="key"/>; throws naming the case when absent.</summary>
    /// <param name="key">Metadata key.</param>
    public string Meta(string key)
        => Metadata.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"Golden case '{Name}' has no metadata '{key}'.");

    /// <summary>The metadata <paramref name="key"/> as an integer.</summary>
    /// <param name="key">Metadata key, e.g. <c>hidden_size</c>.</param>
    public int MetaInt(string key) => int.Parse(Meta(key), NumberStyles.Integer, CultureInfo.InvariantCulture);

    /// <summary>The metadata <paramref name="key"/> as a double.</summary>
    /// <param name="key">Metadata key, e.g. <c>max_norm</c>.</param>
    public double MetaDouble(string key) => double.Parse(Meta(key), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The metadata <paramref name="key"/> as a bool (<c>"true"</c>/<c>"false"</c>, as Python's <c>str(bool).lower()</c>); <paramref name="fallback"/> when absent.</summary>
    /// <param name="key">Metadata key, e.g. <c>batch_first</c>.</param>
    /// <param name="fallback">Value when the key is absent.</param>
    public bool MetaBool(string key, bool fallback = false)
        => Metadata.TryGetValue(key, out var v) ? string.Equals(v, "true", StringComparison.OrdinalIgnoreCase) : fallback;
}
