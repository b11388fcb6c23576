namespace Sequin.Samples;

/// <summary><c>dotnet run --project samples/Sequin.Samples -- [name|all|list]</c>.</summary>
public static class Program
{
    /// <summary>Every sample, in the order of the articles.</summary>
    public static IReadOnlyList<Sample> All { get; } =
    [
        new RnnLayersSample(),
        new BidirectionalSample(),
        new EmbeddingLstmSample(),
        new PyTorchDocsSample(),
        new BatchFirstBidirectionalSample(),
        new D2lLstmScratchSample(),
        new D2lRnnModelSample(),
    ];

    /// <summary>Runs the named sample (or all of them); returns 0 when every assertion held.</summary>
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var name = args.Length > 0 ? args[0] : "all";
        if (name is "list" or "--help" or "-h")
        {
            Console.WriteLine("Samples (run one by name, or all):");
            foreach (var s in All)
            {
                Console.WriteLine($"  {s.Name,-28} {s.Title}");
            }
            return 0;
        }
        var selected = name == "all" ? All : All.Where(s => s.Name == name).ToList();
        if (selected.Count == 0)
        {
            Console.Error.WriteLine($"No sample named '{name}'. Available: {string.Join(", ", All.Select(s => s.Name))}, all.");
            return 2;
        }
        foreach (var sample in selected)
        {
            Console.WriteLine($"=== {sample.Name}: {sample.Title}");
            try
            {
                sample.Run(Console.Out);
            }
            catch (SampleAssertionException e)
            {
                Console.Error.WriteLine($"FAILED {sample.Name}: {e.Message}");
                return 1;
            }
            Console.WriteLine();
        }
        return 0;
    }
}
