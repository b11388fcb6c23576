using System.Globalization;
using System.Text;
using Sequin.Tensors;

namespace Sequin.Explain;

/// <summary>
/// Draws a recurrent layer unrolled in time as a hand-written SVG: one row of cells per layer and direction, one column
/// per time step, arrows for the h (and c) flow, and boxes showing where <c>input</c>, <c>h_0</c>, <c>output</c> and
/// <c>h_n</c> are read from, each labelled with its shape (<c>sequin explain --svg FILE</c>).
/// </summary>
public static class UnrolledSvg
{
    private const double ColW = 170, CellW = 100, CellH = 44, BoxW = 120, BoxH = 40, StateW = 104, Off = 12;
    private const string Font = "DejaVu Sans, Arial, Helvetica, sans-serif";
    private const string FwdFill = "#dbeafe", FwdStroke = "#1d4ed8", BwdFill = "#ffedd5", BwdStroke = "#c2410c";
    private const string Ink = "#1f2937", Muted = "#6b7280", StateFill = "#f3e8ff", StateStroke = "#7e22ce", EndInk = "#b91c1c";

    /// <summary>Renders the unrolled network for <paramref name="config"/> as a standalone SVG document.</summary>
    /// <exception cref="ArgumentException">The configuration is invalid.</exception>
    public static string Render(ExplainConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return new Drawing(config).Render();
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Esc(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private sealed class Drawing(ExplainConfig c)
    {
        private readonly StringBuilder body = new();
        private readonly StringBuilder over = new();
        private readonly StringBuilder vertical = new();
        private readonly bool bidir = c.Bidirectional;
        private readonly bool lstm = c.Mode == RecurrentKind.Lstm;
        private readonly int T = c.EffectiveSeqLen;

        private string Shape(params int[] dims) => ShapeUtil.Format(dims);

        private int[] Rowed(int features) => c.IsBatched ? [c.EffectiveBatch, features] : [features];

        public string Render()
        {
            // Which time steps get a column; null marks the "…" column.
            var steps = new List<int?>();
            if (T <= 6)
            {
                for (var t = 0; t < T; t++)
                {
                    steps.Add(t);
                }
            }
            else
            {
                steps.AddRange([0, 1, 2, null, T - 2, T - 1]);
            }
            var left = 170.0;
            var x0 = left + StateW + 40;
            double Cx(int i) => x0 + (ColW * i) + (ColW / 2);
            var width = x0 + (ColW * steps.Count) + 40 + StateW + 20;

            var y = 20.0;
            Text(20, y + 12, Explainer.ModuleCall(c), 18, "bold", anchor: "start");
            var sizes = $"T = seq_len = {T}" + (c.IsBatched ? $", B = batch = {c.EffectiveBatch}" : ", unbatched") +
                        $", H = {(c.ProjSize > 0 ? "proj_size" : "hidden_size")} = {c.HiddenOutSize}, L = num_layers = {c.NumLayers}, D = num_directions = {c.NumDirections}";
            Text(20, y + 34, sizes, 13, fill: Muted, anchor: "start");
            y += 60;

            var outTop = y;
            y += BoxH + 44;
            var fwdTop = new double[c.NumLayers];
            var bwdTop = new double[c.NumLayers];
            var concatTop = new double[c.NumLayers];
            for (var l = c.NumLayers - 1; l >= 0; l--)
            {
                if (bidir)
                {
                    bwdTop[l] = y;
                    fwdTop[l] = y + CellH + 30;
                    y = fwdTop[l] + CellH;
                }
                else
                {
                    fwdTop[l] = y;
                    y += CellH;
                }
                if (l > 0)
                {
                    if (bidir)
                    {
                        y += 30;
                        concatTop[l - 1] = y;
                        y += 22 + 34;
                    }
                    else
                    {
                        y += 56;
                    }
                }
            }
            y += 44;
            var inTop = y;
            y += BoxH + 26;
            var notes = Notes();
            var height = y + (notes.Count * 20) + 16;

            // Column headers (time steps).
            for (var i = 0; i < steps.Count; i++)
            {
                Text(Cx(i), outTop - 8, steps[i] is { } t ? $"t = {t}" : "", 12, fill: Muted);
            }

            var h = c.HiddenOutSize;
            var hShape = Shape(Rowed(h));
            var cShape = Shape(Rowed(c.HiddenSize));
            var inName = (int t) => c.IsBatched && c.BatchFirst ? $"input[:, {t}]" : $"input[{t}]";
            var outName = (int t) => c.IsBatched && c.BatchFirst ? $"output[:, {t}]" : $"output[{t}]";

            for (var i = 0; i < steps.Count; i++)
            {
                var cx = Cx(i);
                if (steps[i] is not { } t)
                {
                    Text(cx, inTop + 25, "⋯", 22, fill: Muted);
                    Text(cx, outTop + 25, "⋯", 22, fill: Muted);
                    EndMarker(cx, outTop + BoxH + 26, steps[i - 1]!.Value + 1, steps[i + 1]!.Value - 1);
                    for (var l = 0; l < c.NumLayers; l++)
                    {
                        Text(cx, fwdTop[l] + 28, "⋯", 22, fill: Muted);
                        if (bidir)
                        {
                            Text(cx, bwdTop[l] + 28, "⋯", 22, fill: Muted);
                        }
                    }
                    continue;
                }
                Box(cx - (BoxW / 2), inTop, BoxW, BoxH, "#f3f4f6", "#4b5563", inName(t), Shape(Rowed(c.InputSize)));
                var outHighlight = bidir ? t == 0 || t == T - 1 : t == T - 1;
                Box(cx - (BoxW / 2), outTop, BoxW, BoxH, "#dcfce7", "#15803d", outName(t), Shape(Rowed(c.NumDirections * h)), outHighlight ? 2.5 : 1.2);
                EndMarker(cx, outTop + BoxH + 26, t, t);
                for (var l = 0; l < c.NumLayers; l++)
                {
                    var last = l == c.NumLayers - 1;
                    var fx = cx - (bidir ? Off : 0);
                    Cell(fx, fwdTop[l], FwdFill, FwdStroke, $"{c.ClassName} l{l}", bidir ? $"fwd t={t}" : $"t={t}", last && t == T - 1);
                    if (bidir)
                    {
                        Cell(cx + Off, bwdTop[l], BwdFill, BwdStroke, $"{c.ClassName} l{l}", $"bwd t={t}", last && t == 0);
                    }
                    // Vertical flow into this layer: from the input box (layer 0) or the concat node / cell below.
                    var srcTop = l == 0 ? inTop : bidir ? concatTop[l - 1] : fwdTop[l - 1];
                    Arrow(fx, srcTop, fx, fwdTop[l] + CellH, Ink);
                    if (bidir)
                    {
                        Arrow(cx + 50, srcTop, cx + 50, bwdTop[l] + CellH, Ink, halo: true);
                        // Up from both directions into the concat node above (or the output box).
                        var dstBottom = last ? outTop + BoxH : concatTop[l] + 22;
                        Arrow(cx - 50, fwdTop[l], cx - 50, dstBottom, FwdStroke, halo: true);
                        Arrow(cx + Off, bwdTop[l], cx + Off, dstBottom, BwdStroke);
                        if (!last)
                        {
                            Box(cx - (BoxW / 2), concatTop[l], BoxW, 22, "#ffffff", "#9ca3af", $"cat → {Shape(Rowed(2 * h))}", null, 1, 11);
                        }
                    }
                    else if (last)
                    {
                        Arrow(fx, fwdTop[l], fx, outTop + BoxH, Ink);
                    }
                }
            }

            // Horizontal flow: h (and c) between time steps, h_0 in, h_n out.
            var lastCol = steps.Count - 1;
            for (var l = 0; l < c.NumLayers; l++)
            {
                var rowsHere = bidir ? new[] { 0, 1 } : [0];
                foreach (var dir in rowsHere)
                {
                    var top = dir == 0 ? fwdTop[l] : bwdTop[l];
                    var cy = top + (CellH / 2);
                    var shift = bidir ? (dir == 0 ? -Off : Off) : 0;
                    var stroke = dir == 0 ? FwdStroke : BwdStroke;
                    var k = (l * c.NumDirections) + dir;
                    var label = $"layer {l} " + (bidir ? dir == 0 ? "forward →" : "backward ←" : "→");
                    Text(20, cy + 4, label, 13, "bold", stroke, "start");
                    for (var i = 0; i < lastCol; i++)
                    {
                        var a = Cx(i) + shift + (CellW / 2);
                        var b = Cx(i + 1) + shift - (CellW / 2);
                        var dashed = steps[i] is null || steps[i + 1] is null;
                        var annotate = i == 0;
                        if (dir == 0)
                        {
                            Flow(a, b, cy, stroke, dashed, annotate, hShape, cShape);
                        }
                        else
                        {
                            Flow(b, a, cy, stroke, dashed, annotate, hShape, cShape);
                        }
                    }
                    var leftBoxX = x0 - 30 - StateW;
                    var rightBoxX = Cx(lastCol) + (ColW / 2) + 30;
                    var firstEdge = Cx(0) + shift - (CellW / 2);
                    var lastEdge = Cx(lastCol) + shift + (CellW / 2);
                    var negative = k - (c.NumLayers * c.NumDirections);
                    var hnName = l == c.NumLayers - 1 ? $"h_n[{negative}]" : $"h_n[{k}]";
                    var h0Name = $"h_0[{k}]";
                    var stateLines = (string n) => lstm ? $"{n}, {n.Replace("h_", "c_", StringComparison.Ordinal)}" : n;
                    if (dir == 0)
                    {
                        StateBox(leftBoxX, cy, stateLines(h0Name), hShape);
                        Flow(leftBoxX + StateW, firstEdge, cy, StateStroke, false, false, hShape, cShape);
                        StateBox(rightBoxX, cy, stateLines(hnName), hShape, l == c.NumLayers - 1);
                        Flow(lastEdge, rightBoxX, cy, StateStroke, false, false, hShape, cShape);
                    }
                    else
                    {
                        StateBox(rightBoxX, cy, stateLines(h0Name), hShape);
                        Flow(rightBoxX, lastEdge, cy, StateStroke, false, false, hShape, cShape);
                        StateBox(leftBoxX, cy, stateLines(hnName), hShape, l == c.NumLayers - 1);
                        Flow(firstEdge, leftBoxX + StateW, cy, StateStroke, false, false, hShape, cShape);
                    }
                }
            }

            // Notes: where output and h_n are read from.
            var ny = inTop + BoxH + 30;
            foreach (var (line, color) in notes)
            {
                Text(20, ny, line, 13, fill: color, anchor: "start");
                ny += 20;
            }

            var svg = new StringBuilder();
            svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{F(height)}\" viewBox=\"0 0 {F(width)} {F(height)}\" font-family=\"{Font}\">\n");
            svg.Append(CultureInfo.InvariantCulture, $"<title>{Esc(Explainer.ModuleCall(c))} unrolled over {T} time steps</title>\n");
            svg.Append("<defs>\n");
            foreach (var (id, color) in new[] { ("ink", Ink), ("fwd", FwdStroke), ("bwd", BwdStroke), ("state", StateStroke) })
            {
                svg.Append(CultureInfo.InvariantCulture, $"<marker id=\"a-{id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{color}\"/></marker>\n");
            }
            svg.Append("</defs>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{F(width)}\" height=\"{F(height)}\" fill=\"#ffffff\"/>\n");
            svg.Append(body);
            svg.Append(vertical);
            svg.Append(over);
            svg.Append("</svg>\n");
            return svg.ToString();
        }

        private List<(string Line, string Color)> Notes()
        {
            var n = new List<(string, string)>();
            string O(string t, string half) => !c.IsBatched ? $"output[{t}, {half}]" : c.BatchFirst ? $"output[:, {t}, {half}]" : $"output[{t}, :, {half}]";
            if (bidir)
            {
                n.Add(($"Thick boxes: output at t = T-1 and t = 0. Forward final state h_n[-2] = {O("-1", ":H")}; backward final state h_n[-1] = {O("0", "H:")}.", Ink));
                n.Add(("h_n[-1] is the BACKWARD state of the last layer. output[-1]'s backward half is the backward direction's FIRST step.", BwdStroke));
            }
            else
            {
                n.Add(($"Thick box: output[T-1] = h_n[-1]. output is the last layer's h at every step; h_n is every layer's h at the last step.", Ink));
            }
            if (lstm)
            {
                n.Add(("Solid arrows carry h, dashed arrows carry c (LSTM cell state); c never appears in output.", Muted));
            }
            if (c.Lengths is { } lengths)
            {
                n.Add(($"lengths = [{string.Join(", ", lengths)}]: ◆ marks the step lengths[b] - 1 where sequence b ends. Its forward h_n is read there" +
                    (bidir ? ", its backward direction starts there," : "") + " and output is zero-padded after it.", EndInk));
            }
            if (c.BatchFirst)
            {
                n.Add(("batch_first=True: input and output are (batch, seq_len, ·); h_0 / h_n / c_n keep (num_layers * num_directions, batch, H).", Muted));
            }
            return n;
        }

        /// <summary>
        /// With lengths, "◆ ends: b = …" beside the column of steps <c>[t0, t1]</c> (one step, or the steps a "⋯" column
        /// stands for) for the sequences whose last step lies there.
        /// </summary>
        private void EndMarker(double cx, double y, int t0, int t1)
        {
            if (c.Lengths is not { } lengths)
            {
                return;
            }
            var ending = Enumerable.Range(0, lengths.Count).Where(b => lengths[b] - 1 >= t0 && lengths[b] - 1 <= t1).ToArray();
            if (ending.Length > 0)
            {
                Text(cx + 18, y, $"◆ ends: b = {string.Join(", ", ending)}", 11, "bold", EndInk, "start");
            }
        }

        private void Text(double x, double y, string s, double size, string weight = "normal", string fill = Ink, string anchor = "middle", StringBuilder? into = null) =>
            (into ?? over).Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x)}\" y=\"{F(y)}\" font-size=\"{F(size)}\" font-weight=\"{weight}\" fill=\"{fill}\" text-anchor=\"{anchor}\">{Esc(s)}</text>\n");

        private void Box(double x, double y, double w, double hgt, string fill, string stroke, string line1, string? line2, double strokeWidth = 1.2, double size = 13)
        {
            over.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(w)}\" height=\"{F(hgt)}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{F(strokeWidth)}\"/>\n");
            if (line2 is null)
            {
                Text(x + (w / 2), y + (hgt / 2) + 4, line1, size);
            }
            else
            {
                Text(x + (w / 2), y + 17, line1, size, "bold");
                Text(x + (w / 2), y + 33, line2, 12, fill: Muted);
            }
        }

        private void Cell(double cx, double top, string fill, string stroke, string line1, string line2, bool highlight) =>
            Box(cx - (CellW / 2), top, CellW, CellH, fill, stroke, line1, line2, highlight ? 3 : 1.2);

        private void StateBox(double x, double cy, string name, string shape, bool highlight = false) =>
            Box(x, cy - (BoxH / 2), StateW, BoxH, StateFill, StateStroke, name, shape, highlight ? 2.5 : 1.2, name.Length > 14 ? 11 : 13);

        private void Arrow(double x1, double y1, double x2, double y2, string color, bool halo = false, bool dashed = false)
        {
            var id = color switch
            {
                FwdStroke => "fwd",
                BwdStroke => "bwd",
                StateStroke => "state",
                _ => "ink",
            };
            var into = x1 == x2 ? vertical : body;
            if (halo)
            {
                into.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(x1)}\" y1=\"{F(y1)}\" x2=\"{F(x2)}\" y2=\"{F(y2)}\" stroke=\"#ffffff\" stroke-width=\"7\"/>\n");
            }
            var dash = dashed ? " stroke-dasharray=\"5,3\"" : "";
            into.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(x1)}\" y1=\"{F(y1)}\" x2=\"{F(x2)}\" y2=\"{F(y2)}\" stroke=\"{color}\" stroke-width=\"1.6\"{dash} marker-end=\"url(#a-{id})\"/>\n");
        }

        // The h (and, for LSTM, c) arrows between two x positions at row height cy; direction from x1 to x2.
        private void Flow(double x1, double x2, double cy, string color, bool gap, bool annotate, string hShape, string cShape)
        {
            if (lstm)
            {
                Arrow(x1, cy - 7, x2, cy - 7, color, dashed: gap);
                Arrow(x1, cy + 9, x2, cy + 9, color, dashed: true);
                if (annotate)
                {
                    Text((x1 + x2) / 2, cy - 12, $"h {hShape}", 10, fill: color);
                    Text((x1 + x2) / 2, cy + 22, $"c {cShape}", 10, fill: color);
                }
            }
            else
            {
                Arrow(x1, cy, x2, cy, color, dashed: gap);
                if (annotate)
                {
                    Text((x1 + x2) / 2, cy - 6, $"h {hShape}", 10, fill: color);
                }
            }
        }
    }
}
