using System.Globalization;
using Sequin.Tensors;

namespace Sequin.Explain;

/// <summary>
/// Computes the explanation of a recurrent layer's shapes from its configuration: which tensors go in and come out,
/// their shapes and formulas, what they mean, the identities relating <c>output</c>, <c>h_n</c> and <c>c_n</c>, and
/// the parameter count. <see cref="Explain"/> also confirms every identity by running a randomly initialised module.
/// </summary>
public static partial class Explainer
{
    /// <summary>
    /// Builds the explanation of <paramref name="config"/> without running anything: every identity is
    /// <see cref="IdentityStatus.NotChecked"/>. Use <see cref="Explain"/> for checked identities.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration is invalid (see <see cref="ExplainConfig.Validate"/>).</exception>
    public static Explanation Build(ExplainConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var rows = new List<TensorRow>();
        rows.AddRange(DataRows(config));
        rows.AddRange(ParameterRows(config));
        var parameterCount = rows.Where(r => r.Role == TensorRole.Parameter).Sum(r => (long)ShapeUtil.Numel(r.Shape));
        var identities = IdentitySpecs(config).Select(s => s.Identity).ToList();
        return new Explanation(config, ModuleCall(config), rows, identities, SequenceSteps(config), Warnings(config), parameterCount);
    }

    /// <summary>The PyTorch constructor call for the configuration, e.g. <c>nn.LSTM(10, 20, num_layers=2, bidirectional=True)</c>.</summary>
    public static string ModuleCall(ExplainConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var args = new List<string> { I(config.InputSize), I(config.HiddenSize) };
        if (config.NumLayers != 1)
        {
            args.Add("num_layers=" + I(config.NumLayers));
        }
        if (config.Mode == RecurrentKind.Rnn && config.Nonlinearity != "tanh")
        {
            args.Add($"nonlinearity='{config.Nonlinearity}'");
        }
        if (!config.Bias)
        {
            args.Add("bias=False");
        }
        if (config.BatchFirst)
        {
            args.Add("batch_first=True");
        }
        if (config.Bidirectional)
        {
            args.Add("bidirectional=True");
        }
        if (config.ProjSize > 0)
        {
            args.Add("proj_size=" + I(config.ProjSize));
        }
        return $"nn.{config.ClassName}({string.Join(", ", args)})";
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static TensorRow Row(string name, TensorRole role, int[] shape, string formula, string meaning) =>
        new(name, role, shape, ShapeUtil.Format(shape), formula, meaning);

    /// <summary>Shape of a (seq_len, batch, features) tensor in the configured layout.</summary>
    internal static int[] SequenceShape(ExplainConfig c, int features)
    {
        var t = c.EffectiveSeqLen;
        if (!c.IsBatched)
        {
            return [t, features];
        }
        var b = c.EffectiveBatch;
        return c.BatchFirst ? [b, t, features] : [t, b, features];
    }

    private static string SequenceFormula(ExplainConfig c, string features)
    {
        if (!c.IsBatched)
        {
            return $"(seq_len, {features})";
        }
        return c.BatchFirst ? $"(batch, seq_len, {features})" : $"(seq_len, batch, {features})";
    }

    /// <summary>Shape of an h/c state: (num_layers * num_directions, [batch,] size).</summary>
    internal static int[] StateShape(ExplainConfig c, int size)
    {
        var ld = c.NumLayers * c.NumDirections;
        return c.IsBatched ? [ld, c.EffectiveBatch, size] : [ld, size];
    }

    private static string StateFormula(ExplainConfig c, string size) =>
        c.IsBatched ? $"(num_layers * num_directions, batch, {size})" : $"(num_layers * num_directions, {size})";

    private static IEnumerable<TensorRow> DataRows(ExplainConfig c)
    {
        var lstm = c.Mode == RecurrentKind.Lstm;
        var hName = c.ProjSize > 0 ? "proj_size" : "hidden_size";
        var order = c.Bidirectional
            ? "ordered layer by layer, forward then backward: [l0 forward, l0 backward, l1 forward, ...]"
            : "one row per layer, bottom layer first";
        var batchNote = c.IsBatched ? "" : " (unbatched: no batch dimension anywhere)";
        var layoutNote = c.BatchFirst ? " batch_first=True puts batch first here — and ONLY in input and output." : "";
        yield return Row("input", TensorRole.Input, SequenceShape(c, c.InputSize), SequenceFormula(c, "input_size"),
            (c.Lengths is null
                ? "the sequence: one input_size-vector per time step and sequence"
                : "the padded batch: one input_size-vector per time step and sequence; steps past a sequence's length are padding")
            + batchNote + "." + layoutNote);
        yield return Row("h_0", TensorRole.InitialState, StateShape(c, c.HiddenOutSize), StateFormula(c, hName),
            $"initial hidden state of every layer and direction, {order}; zeros when omitted." +
            (c.BatchFirst ? " NOT batch-first: batch is always dimension 1." : ""));
        if (lstm)
        {
            yield return Row("c_0", TensorRole.InitialState, StateShape(c, c.HiddenSize), StateFormula(c, "hidden_size"),
                "initial cell state of every layer and direction, same order as h_0; zeros when omitted. Give h_0 and c_0 together or neither.");
        }
        var outFormula = SequenceFormula(c, c.Bidirectional ? $"num_directions * {hName}" : hName);
        var outMeaning = c.Bidirectional
            ? "the LAST layer's hidden state at EVERY time step, forward and backward concatenated ([..., :H] forward, [..., H:] backward). Lower layers' states are not in it."
            : "the LAST layer's hidden state at EVERY time step. Lower layers' states are not in it.";
        if (c.Lengths is not null)
        {
            outMeaning += " Padded by pad_packed_sequence: zeros after each sequence's end.";
        }
        yield return Row("output", TensorRole.Output, SequenceShape(c, c.NumDirections * c.HiddenOutSize), outFormula, outMeaning);
        var hnMeaning = c.Bidirectional
            ? $"final hidden state of EVERY layer and direction ({order}): forward read at the last step, backward at step 0. h_n[-1] is the last layer's BACKWARD state."
            : $"final hidden state of EVERY layer ({order}); h_n[-1] is the last layer's.";
        if (c.Lengths is not null)
        {
            hnMeaning += " Each sequence's row is taken at its own last step (length − 1), not at the padded end.";
        }
        yield return Row("h_n", TensorRole.FinalState, StateShape(c, c.HiddenOutSize), StateFormula(c, hName), hnMeaning);
        if (lstm)
        {
            yield return Row("c_n", TensorRole.FinalState, StateShape(c, c.HiddenSize), StateFormula(c, "hidden_size"),
                "final cell state of every layer and direction, same order as h_n; the cell state never appears in output.");
        }
        if (c.Lengths is { } lengths)
        {
            var total = lengths.Sum();
            yield return Row("packed.data", TensorRole.Packed, [total, c.InputSize], "(sum(lengths), input_size)",
                "pack_padded_sequence(input, lengths): only the real steps, time-major, longest sequences first; no padding is computed.");
            yield return Row("packed.batch_sizes", TensorRole.Packed, [lengths.Max()],
                "(max(lengths),)",
                $"how many sequences are still running at each step: [{string.Join(", ", BatchSizes(lengths))}].");
            yield return Row("packed output.data", TensorRole.Packed, [total, c.NumDirections * c.HiddenOutSize],
                $"(sum(lengths), {(c.Bidirectional ? $"num_directions * {hName}" : hName)})",
                "the packed output; pad_packed_sequence turns it back into output above.");
        }
    }

    /// <summary>PyTorch's batch_sizes for a set of lengths: entry t = number of lengths greater than t.</summary>
    internal static int[] BatchSizes(IReadOnlyList<int> lengths)
    {
        var max = lengths.Max();
        var sizes = new int[max];
        for (var t = 0; t < max; t++)
        {
            sizes[t] = lengths.Count(l => l > t);
        }
        return sizes;
    }

    /// <summary>The names of the gates stacked in weight_ih/weight_hh rows, in PyTorch's order.</summary>
    internal static string[] GateNames(RecurrentKind mode) => mode switch
    {
        RecurrentKind.Lstm => ["i", "f", "g", "o"],
        RecurrentKind.Gru => ["r", "z", "n"],
        _ => [],
    };

    private static IEnumerable<TensorRow> ParameterRows(ExplainConfig c)
    {
        var g = c.GateCount;
        var gates = GateNames(c.Mode);
        var gPrefix = g == 1 ? "" : I(g) + " * ";
        var hName = c.ProjSize > 0 ? "proj_size" : "hidden_size";
        for (var layer = 0; layer < c.NumLayers; layer++)
        {
            for (var dir = 0; dir < c.NumDirections; dir++)
            {
                var suffix = $"_l{layer}" + (dir == 1 ? "_reverse" : "");
                var who = $"layer {layer}" + (c.Bidirectional ? dir == 1 ? ", backward" : ", forward" : "");
                var inSize = layer == 0 ? c.InputSize : c.NumDirections * c.HiddenOutSize;
                var inFormula = layer == 0 ? "input_size" : c.Bidirectional ? $"num_directions * {hName}" : hName;
                var stacked = gates.Length == 0
                    ? ""
                    : $", gates {string.Join("|", gates)} stacked by rows";
                var inReads = layer == 0 ? "the input x_t" : $"layer {layer - 1}'s output";
                yield return Row("weight_ih" + suffix, TensorRole.Parameter, [g * c.HiddenSize, inSize], $"({gPrefix}hidden_size, {inFormula})",
                    $"{who}: multiplies {inReads}{stacked}" + (gates.Length == 0 ? "" : $" ({string.Join(", ", gates.Select(x => "W_i" + x))})") + ".");
                yield return Row("weight_hh" + suffix, TensorRole.Parameter, [g * c.HiddenSize, c.HiddenOutSize], $"({gPrefix}hidden_size, {hName})",
                    $"{who}: multiplies the previous hidden state h_(t-1){stacked}" + (gates.Length == 0 ? "" : $" ({string.Join(", ", gates.Select(x => "W_h" + x))})") + ".");
                if (c.Bias)
                {
                    yield return Row("bias_ih" + suffix, TensorRole.Parameter, [g * c.HiddenSize], $"({gPrefix}hidden_size,)",
                        $"{who}: bias added to the input projection{stacked}.");
                    yield return Row("bias_hh" + suffix, TensorRole.Parameter, [g * c.HiddenSize], $"({gPrefix}hidden_size,)",
                        $"{who}: bias added to the hidden projection{stacked}" +
                        (c.Mode == RecurrentKind.Gru ? "; b_hn sits inside r * (W_hn h + b_hn)." : "."));
                }
                if (c.ProjSize > 0)
                {
                    yield return Row("weight_hr" + suffix, TensorRole.Parameter, [c.ProjSize, c.HiddenSize], "(proj_size, hidden_size)",
                        $"{who}: projects h_t = W_hr (o * tanh(c_t)) down to proj_size.");
                }
            }
        }
    }

    private static List<SequenceFinalStep> SequenceSteps(ExplainConfig c)
    {
        if (c.Lengths is not { } lengths)
        {
            return [];
        }
        var t = c.EffectiveSeqLen;
        return lengths.Select((len, b) => new SequenceFinalStep(b, len, len - 1, c.Bidirectional ? 0 : null, t - len)).ToList();
    }

    private static List<string> Warnings(ExplainConfig c)
    {
        var w = new List<string>();
        if (c.Bidirectional)
        {
            w.Add("h_n[-1] is the BACKWARD direction of the last layer (it read the sequence from the last step down to step 0). " +
                  "The last layer's forward state is h_n[-2]. For a classifier use torch.cat([h_n[-2], h_n[-1]], dim=-1), not h_n[-1] alone.");
            w.Add("output[-1] is NOT the final state of both directions: its backward half output[-1, ..., H:] is the backward direction's FIRST step. " +
                  "The backward final state is output[0, ..., H:].");
        }
        if (c.BatchFirst)
        {
            w.Add("batch_first=True changes input and output only. h_0, c_0, h_n and c_n stay (num_layers * num_directions, batch, H).");
        }
        if (c.NumLayers > 1)
        {
            w.Add($"output holds only the last layer; the other layers' final states are in h_n[:{I(c.NumDirections * (c.NumLayers - 1))}]. " +
                  $"Split layers and directions with h_n.view(num_layers, num_directions, batch, H) — never h_n.view(batch, ...).");
        }
        if (c.Lengths is not null)
        {
            w.Add("With padded sequences, output[-1] is padding (zeros) for every sequence shorter than seq_len. " +
                  "Read each sequence's last output at index lengths[b] - 1, or use h_n.");
        }
        if (c.ProjSize > 0)
        {
            w.Add("With proj_size, h (h_0, h_n, output) has proj_size features but c (c_0, c_n) keeps hidden_size.");
        }
        if (!c.IsBatched)
        {
            w.Add("Unbatched input (seq_len, input_size) gives unbatched states (num_layers * num_directions, H). Add --batch B to see the batched form.");
        }
        return w;
    }
}
