using Sequin.Verification.Handlers;

namespace Sequin.Verification;

/// <summary>The handlers every <see cref="GoldenRunner"/> starts with: one line per golden kind.</summary>
public static class GoldenHandlers
{
    /// <summary>
    /// The built-in handlers. Kinds without a handler here (or registered at run time with
    /// <see cref="GoldenRunner.Register"/>) are reported as skipped.
    /// </summary>
    public static IReadOnlyList<IGoldenHandler> BuiltIn { get; } =
    [
        new RecurrentLayerHandler(),
        new RecurrentCellHandler(),
        // Add handlers for further kinds here (lm, optim, clip).
    ];
}
