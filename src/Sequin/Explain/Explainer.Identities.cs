using System.Globalization;
using Sequin.Tensors;

namespace Sequin.Explain;

/// <summary>The tensors one run of a module produced, from which identities are checked.</summary>
/// <param name="Output">Output (padded with zeros after each sequence's end when lengths were given).</param>
/// <param name="HN">Final hidden states.</param>
/// <param name="CN">Final cell states (LSTM) or null.</param>
/// <param name="Layer0HN">h_n of a one-layer module holding the stack's <c>_l0</c> weights, run on the same input; null for one layer.</param>
internal sealed record ExplainRun(Tensor Output, Tensor HN, Tensor? CN, Tensor? Layer0HN);

/// <summary>An identity and how to obtain its two sides from a run.</summary>
/// <param name="Identity">What is printed.</param>
/// <param name="Sides">Left and right side from a run.</param>
/// <param name="ExpectEqual">True for <c>==</c>, false for a relation that must NOT hold (<c>!=</c>).</param>
internal sealed record IdentitySpec(Identity Identity, Func<ExplainRun, (Tensor Left, Tensor Right)> Sides, bool ExpectEqual = true);

public static partial class Explainer
{
    /// <summary>Absolute tolerance of the identity checks (the sides are copies of the same numbers: 0 is expected).</summary>
    internal const double IdentityTolerance = 1e-6;

    /// <summary>Largest absolute elementwise difference of two same-shaped tensors (∞ when the shapes differ).</summary>
    internal static double MaxAbsDiff(Tensor a, Tensor b)
    {
        if (a.Shape != b.Shape)
        {
            return double.PositiveInfinity;
        }
        var x = a.ToDoubleArray();
        var y = b.ToDoubleArray();
        var m = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            m = Math.Max(m, Math.Abs(x[i] - y[i]));
        }
        return m;
    }

    /// <summary>Evaluates one identity on a run.</summary>
    internal static Identity Evaluate(IdentitySpec spec, ExplainRun run)
    {
        var (left, right) = spec.Sides(run);
        var diff = MaxAbsDiff(left, right);
        var shapes = left.Shape == right.Shape ? $"shape {left.Shape}" : $"shapes {left.Shape} vs {right.Shape}";
        var equal = diff <= IdentityTolerance;
        var holds = equal == spec.ExpectEqual;
        var detail = double.IsPositiveInfinity(diff)
            ? $"checked: {shapes}"
            : $"checked: {shapes}, max |left − right| = {diff.ToString("G3", CultureInfo.InvariantCulture)}";
        return spec.Identity with { Status = holds ? IdentityStatus.Holds : IdentityStatus.Fails, Detail = detail };
    }

    /// <summary>
    /// The identities that hold for <paramref name="c"/>, each with the code that takes its two sides from a run.
    /// Notation: T = seq_len, B = batch, L = num_layers, H = hidden_size (proj_size when set), D = num_directions.
    /// </summary>
    internal static List<IdentitySpec> IdentitySpecs(ExplainConfig c)
    {
        var specs = new List<IdentitySpec>();
        var d = c.NumDirections;
        var h = c.HiddenOutSize;
        var batched = c.IsBatched;
        var bf = c.BatchFirst && batched;
        var timeDim = bf ? 1 : 0;
        var T = c.EffectiveSeqLen;

        // output at time step t (negative counts from the end), optionally one batch row, optionally one direction's half.
        Tensor OutAt(ExplainRun r, int t, int? b = null, int? dir = null)
        {
            var x = r.Output.Select(timeDim, t < 0 ? t + T : t);
            if (b is { } bi)
            {
                x = x.Select(0, bi);
            }
            return dir is { } di ? x.Narrow(x.Dim - 1, di * h, h) : x;
        }

        Tensor HnAt(ExplainRun r, int index, int? b = null)
        {
            var x = r.HN.Select(0, index < 0 ? index + r.HN.Size(0) : index);
            return b is { } bi ? x.Select(0, bi) : x;
        }

        // Notation helpers: index strings for output at step t, in PyTorch and in C#.
        static string PyT(int t) => t.ToString(CultureInfo.InvariantCulture);
        static string CsT(int t) => t < 0 ? "^" + (-t).ToString(CultureInfo.InvariantCulture) : t.ToString(CultureInfo.InvariantCulture);
        string PyOut(string t, string? b, string? half)
        {
            var parts = new List<string>();
            if (bf)
            {
                parts.Add(b ?? ":");
                parts.Add(t);
            }
            else
            {
                parts.Add(t);
                if (batched)
                {
                    parts.Add(b ?? ":");
                }
            }
            if (half is not null)
            {
                parts.Add(half);
            }
            while (parts.Count > 1 && parts[^1] == ":")
            {
                parts.RemoveAt(parts.Count - 1);
            }
            return $"output[{string.Join(", ", parts)}]";
        }
        string CsOut(string t, string? b, string? half)
        {
            var parts = new List<string>();
            if (bf)
            {
                parts.Add(b ?? "..");
                parts.Add(t);
            }
            else
            {
                parts.Add(t);
                if (batched)
                {
                    parts.Add(b ?? "..");
                }
            }
            if (half is not null)
            {
                parts.Add(half);
            }
            while (parts.Count > 1 && parts[^1] == "..")
            {
                parts.RemoveAt(parts.Count - 1);
            }
            return $"output[{string.Join(", ", parts)}]";
        }
        static string Eq(string l, string r) => $"{l}.Equal({r})";

        if (c.Lengths is null)
        {
            if (d == 1)
            {
                specs.Add(new(new Identity(
                    $"{PyOut("-1", null, null)} == h_n[-1]",
                    Eq(CsOut("^1", null, null), "hN[^1]"),
                    "output is the last layer's h at every step, so its last step is the last layer's final state."),
                    r => (OutAt(r, -1), HnAt(r, -1))));
            }
            else
            {
                specs.Add(new(new Identity(
                    $"{PyOut("-1", null, ":H")} == h_n[-2]",
                    Eq(CsOut("^1", null, "..H"), "hN[^2]"),
                    "forward half at the LAST step = the last layer's forward final state (forward ends at t = T-1)."),
                    r => (OutAt(r, -1, dir: 0), HnAt(r, -2))));
                specs.Add(new(new Identity(
                    $"{PyOut("0", null, "H:")} == h_n[-1]",
                    Eq(CsOut("0", null, "H.."), "hN[^1]"),
                    "backward half at the FIRST step = the last layer's backward final state (backward ends at t = 0)."),
                    r => (OutAt(r, 0, dir: 1), HnAt(r, -1))));
                if (T > 1)
                {
                    specs.Add(new(new Identity(
                        $"{PyOut("-1", null, "H:")} != h_n[-1]",
                        "!" + Eq(CsOut("^1", null, "H.."), "hN[^1]"),
                        "the trap: the backward half of output[-1] is the backward direction's FIRST step, not its final state."),
                        r => (OutAt(r, -1, dir: 1), HnAt(r, -1)), ExpectEqual: false));
                }
                var outView = bf ? "B, T, 2, H" : batched ? "T, B, 2, H" : "T, 2, H";
                var hnView = batched ? "L, 2, B, H" : "L, 2, H";
                var L = c.NumLayers;
                int[] OutViewShape() => bf ? [c.EffectiveBatch, T, 2, h] : batched ? [T, c.EffectiveBatch, 2, h] : [T, 2, h];
                int[] HnViewShape() => batched ? [L, 2, c.EffectiveBatch, h] : [L, 2, h];
                string PyV(string t, string dir) => bf ? $"[:, {t}, {dir}]" : batched ? $"[{t}, :, {dir}]" : $"[{t}, {dir}]";
                string CsV(string t, string dir) => bf ? $"[.., {t}, {dir}]" : batched ? $"[{t}, .., {dir}]" : $"[{t}, {dir}]";
                Tensor ViewOut(ExplainRun r, int t, int dir)
                {
                    var v = r.Output.Reshape(OutViewShape()); // PyTorch's view also works on batch_first's transposed output
                    return bf ? v.Select(1, t < 0 ? t + T : t).Select(1, dir) : v.Select(0, t < 0 ? t + T : t).Select(v.Dim - 3, dir);
                }
                specs.Add(new(new Identity(
                    $"output.view({outView}){PyV("-1", "0")} == h_n.view({hnView})[-1, 0]",
                    Eq($"output.Reshape({outView}){CsV("^1", "0")}", $"hN.View({hnView})[^1, 0]"),
                    "split directions with view: output's dim of size 2 and h_n's dim of size 2 are the direction (0 forward, 1 backward)."),
                    r => (ViewOut(r, -1, 0), r.HN.Reshape(HnViewShape()).Select(0, L - 1).Select(0, 0))));
                specs.Add(new(new Identity(
                    $"output.view({outView}){PyV("0", "1")} == h_n.view({hnView})[-1, 1]",
                    Eq($"output.Reshape({outView}){CsV("0", "1")}", $"hN.View({hnView})[^1, 1]"),
                    "the backward direction of the last layer, read through the same views."),
                    r => (ViewOut(r, 0, 1), r.HN.Reshape(HnViewShape()).Select(0, L - 1).Select(0, 1))));
            }
        }
        else
        {
            var lengths = c.Lengths;
            for (var b = 0; b < lengths.Count; b++)
            {
                var len = lengths[b];
                var bi = b;
                var bs = PyT(b);
                var hFwd = d == 1 ? -1 : -2;
                specs.Add(new(new Identity(
                    $"{PyOut(PyT(len - 1), bs, d == 2 ? ":H" : null)} == h_n[{PyT(hFwd)}, {bs}]",
                    Eq(CsOut(PyT(len - 1), bs, d == 2 ? "..H" : null), $"hN[{CsT(hFwd)}, {bs}]"),
                    $"sequence {bs} has length {len}: its forward final state is read at step {len - 1}" +
                    (len < T ? ", not at the padded end." : ".")),
                    r => (OutAt(r, len - 1, bi, d == 2 ? 0 : null), HnAt(r, hFwd, bi))));
                if (d == 2)
                {
                    specs.Add(new(new Identity(
                        $"{PyOut("0", bs, "H:")} == h_n[-1, {bs}]",
                        Eq(CsOut("0", bs, "H.."), $"hN[^1, {bs}]"),
                        $"sequence {bs}: the backward direction starts at its own last real step {len - 1} and ends at step 0."),
                        r => (OutAt(r, 0, bi, 1), HnAt(r, -1, bi))));
                }
                if (len < T)
                {
                    var pad = bf ? $"output[{bs}, {PyT(len)}:]" : $"output[{PyT(len)}:, {bs}]";
                    var padCs = bf ? $"output[{bs}, {PyT(len)}..]" : $"output[{PyT(len)}.., {bs}]";
                    specs.Add(new(new Identity(
                        $"{pad} == 0",
                        $"{padCs}.Equal(Tensor.Zeros(...))",
                        $"sequence {bs} ends after {len} steps: output[-1] and every later step is padding for it."),
                        r =>
                        {
                            var x = r.Output.Narrow(timeDim, len, T - len).Select(bf ? 0 : 1, bi);
                            return (x, Tensor.ZerosLike(x));
                        }));
                }
            }
        }
        if (c.NumLayers > 1)
        {
            var dl = PyT(d);
            specs.Add(new(new Identity(
                $"h_n[:{dl}] == {c.ClassName}(input_size, hidden_size{(c.Bidirectional ? ", bidirectional=True" : "")}) holding the *_l0 weights, on the same input",
                $"hN[..{dl}].Equal(layer0HN)",
                $"the first {dl} row(s) of h_n belong to layer 0, the bottom layer: the same numbers a one-layer module with layer 0's weights gives."),
                r => (r.HN.Narrow(0, 0, d), r.Layer0HN ?? throw new InvalidOperationException("explain: the one-layer comparison run is missing."))));
        }
        return specs;
    }
}
