namespace Sequin.Explain;

public static partial class Explainer
{
    /// <summary>TEMPORARY until the layers land: builds without checking.</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="seed">Seed.</param>
    public static Explanation Explain(ExplainConfig config, long seed = 0) => Build(config);
}
