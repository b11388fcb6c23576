using Sequin.Tensors;

namespace Sequin.Verification;

/// <summary>
/// Runs PyTorch golden cases through Sequin and compares every output and gradient with the golden tolerances
/// (tests/Sequin.Tests/Golden/FORMAT.md). Each case kind has an <see cref="IGoldenHandler"/>; kinds without one are skipped.
/// Used by <c>sequin verify</c> and by the golden xunit theories.
/// </summary>
public static class GoldenRunner
{
    private static readonly Dictionary<string, IGoldenHandler> Handlers = CreateRegistry();
    private static readonly Lock Gate = new();

    private static Dictionary<string, IGoldenHandler> CreateRegistry()
    {
        var d = new Dictionary<string, IGoldenHandler>(StringComparer.Ordinal);
        foreach (var h in GoldenHandlers.BuiltIn)
        {
            d[h.Kind] = h;
        }
        return d;
    }

    /// <summary>Adds (or replaces) the handler for <c>handler.Kind</c>.</summary>
    /// <param name="handler">The handler.</param>
    public static void Register(IGoldenHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (Gate)
        {
            Handlers[handler.Kind] = handler;
        }
    }

    /// <summary>The handler for <paramref name="kind"/>, or null when that kind is not implemented.</summary>
    /// <param name="kind">A case kind.</param>
    public static IGoldenHandler? HandlerFor(string kind)
    {
        lock (Gate)
        {
            return Handlers.GetValueOrDefault(kind);
        }
    }

    /// <summary>The kinds that have a handler.</summary>
    public static IReadOnlyList<string> RegisteredKinds
    {
        get
        {
            lock (Gate)
            {
                return [.. Handlers.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>
    /// The <c>.safetensors</c> case files under <paramref name="paths"/> (files as given, folders searched recursively),
    /// sorted by name, without duplicates.
    /// </summary>
    /// <param name="paths">Files and folders.</param>
    /// <exception cref="FileNotFoundException">A path is neither a file nor a folder.</exception>
    public static IReadOnlyList<string> FindCases(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                foreach (var f in Directory.EnumerateFiles(p, "*.safetensors", SearchOption.AllDirectories))
                {
                    files.Add(Path.GetFullPath(f));
                }
            }
            else if (File.Exists(p))
            {
                files.Add(Path.GetFullPath(p));
            }
            else
            {
                throw new FileNotFoundException($"'{p}' is neither a golden case file nor a folder of them.", p);
            }
        }
        return [.. files.OrderBy(Path.GetFileName, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Runs one case in every dtype its handler supports (float64 first, then float32), or returns one
    /// <see cref="GoldenStatus.Skip"/> result when its kind has no handler.
    /// </summary>
    /// <param name="goldenCase">The case.</param>
    /// <param name="options">Tolerance scale, dtypes, implementation; null = defaults.</param>
    public static IReadOnlyList<GoldenResult> Run(GoldenCase goldenCase, GoldenRunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(goldenCase);
        options ??= GoldenRunOptions.Default;
        options.Validate();
        var handler = HandlerFor(goldenCase.Kind);
        if (handler is null)
        {
            return [Skipped(goldenCase)];
        }
        var dtypes = options.DTypes is null ? handler.DTypes : handler.DTypes.Where(options.DTypes.Contains).ToList();
        return [.. dtypes.Select(d => RunWith(handler, goldenCase, d, options))];
    }

    /// <summary>Runs one case in one dtype (a skip result when its kind has no handler).</summary>
    /// <param name="goldenCase">The case.</param>
    /// <param name="dtype">float64 or float32.</param>
    /// <param name="options">Tolerance scale and implementation; null = defaults.</param>
    public static GoldenResult Run(GoldenCase goldenCase, DType dtype, GoldenRunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(goldenCase);
        options ??= GoldenRunOptions.Default;
        options.Validate();
        var handler = HandlerFor(goldenCase.Kind);
        return handler is null ? Skipped(goldenCase) : RunWith(handler, goldenCase, dtype, options);
    }

    /// <summary>Loads and runs the case file at <paramref name="path"/>; a file that cannot be read is one failed result.</summary>
    /// <param name="path">A golden <c>.safetensors</c> file.</param>
    /// <param name="options">Run options; null = defaults.</param>
    public static IReadOnlyList<GoldenResult> RunFile(string path, GoldenRunOptions? options = null)
    {
        GoldenCase c;
        try
        {
            c = GoldenCase.Load(path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return [new GoldenResult(Path.GetFileNameWithoutExtension(path), "", null, GoldenStatus.Fail, 0, 0, "(file)", e.Message, [])];
        }
        return Run(c, options);
    }

    private static GoldenResult Skipped(GoldenCase c)
        => new(c.Name, c.Kind, null, GoldenStatus.Skip, 0, 0, null,
            c.Kind.Length == 0 ? "no 'kind' in the file's metadata" : $"kind '{c.Kind}' is not implemented yet (no golden handler registered)", []);

    private static GoldenResult RunWith(IGoldenHandler handler, GoldenCase c, DType dtype, GoldenRunOptions options)
    {
        var ctx = new GoldenContext(c, dtype, options);
        try
        {
            handler.Run(ctx);
            if (ctx.Checked.Count == 0)
            {
                ctx.Fail("(nothing)", $"the '{c.Kind}' handler compared no tensors");
            }
        }
#pragma warning disable CA1031 // A failing case is reported, not thrown: one broken case must not hide the others.
        catch (Exception e)
#pragma warning restore CA1031
        {
            ctx.Fail("(exception)", $"{e.GetType().Name}: {e.Message}");
        }
        var status = ctx.FailingTensor is null ? GoldenStatus.Pass : GoldenStatus.Fail;
        return new GoldenResult(c.Name, c.Kind, dtype, status, ctx.MaxAbs, ctx.MaxRel, ctx.FailingTensor, ctx.FailureMessage, [.. ctx.Checked]);
    }
}
