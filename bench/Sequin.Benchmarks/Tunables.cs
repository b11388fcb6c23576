using System.Globalization;
using Sequin.Kernels;
using Sequin.Nn;

namespace Sequin.Benchmarks;

/// <summary>
/// The library's internal tunables, set from the environment for A/B timing on another machine (the `layer` tool and
/// compare read them): SEQUIN_CHUNK (rows of input projection per chunk), SEQUIN_KC (GEMM depth block),
/// SEQUIN_UNITSPLIT_MAXBATCH, SEQUIN_MINUNITS and SEQUIN_MINUNITS1 (fewest hidden units per unit-split part, of a batch and of one sequence), SEQUIN_BLOCKS (most row
/// blocks of a unit split), SEQUIN_MINBLOCKROWS (fewest rows per block), SEQUIN_MINELEM (fewest W_hh elements for
/// a unit split) and SEQUIN_BWMINROWS (fewest rows per row group of the training backward).
/// </summary>
internal static class Tunables
{
    /// <summary>Applies every tunable set in the environment; returns them as <c>NAME=value</c> pairs (empty when none).</summary>
    public static string FromEnvironment()
    {
        var set = new List<string>();
        void Apply(string name, Action<int> setter)
        {
            if (Environment.GetEnvironmentVariable(name) is { } v)
            {
                setter(int.Parse(v, CultureInfo.InvariantCulture));
                set.Add($"{name}={v}");
            }
        }
        Apply("SEQUIN_CHUNK", v => FusedRecurrentLayer.ChunkRows = v);
        Apply("SEQUIN_KC", v => GemmDriver<float>.KC = v);
        Apply("SEQUIN_UNITSPLIT_MAXBATCH", v => FusedRecurrentLayer.UnitSplitMaxBatch = v);
        Apply("SEQUIN_MINUNITS", v => FusedRecurrentLayer.MinUnitsPerPart = v);
        Apply("SEQUIN_MINUNITS1", v => FusedRecurrentLayer.MinUnitsPerPartOneSequence = v);
        Apply("SEQUIN_BLOCKS", v => FusedRecurrentLayer.MaxRowBlocks = v);
        Apply("SEQUIN_MINBLOCKROWS", v => FusedRecurrentLayer.MinBlockRows = v);
        Apply("SEQUIN_MINELEM", v => FusedRecurrentLayer.UnitSplitMinElements = v);
        Apply("SEQUIN_BWMINROWS", v => FusedRecurrentLayer.MinBackwardGroupRows = v);
        return string.Join(' ', set);
    }
}
