using System.CommandLine;
using System.Globalization;
using Sequin.Explain;
using Spectre.Console;

namespace Sequin.Cli.Commands;

/// <summary><c>sequin explain</c>: every shape of an RNN/LSTM/GRU configuration, drawn and explained.</summary>
internal static class ExplainCommand
{
    internal static Command Create()
    {
        var mode = new Option<string>("--mode") { Description = "rnn, lstm or gru.", Required = true };
        mode.AcceptOnlyFromAmong("rnn", "lstm", "gru");
        var inputSize = new Option<int>("--input-size") { Description = "input_size: features per time step.", Required = true };
        var hiddenSize = new Option<int>("--hidden-size") { Description = "hidden_size: features of h (and c).", Required = true };
        var numLayers = new Option<int>("--num-layers") { Description = "num_layers (default 1).", DefaultValueFactory = _ => 1 };
        var bidirectional = new Option<bool>("--bidirectional") { Description = "bidirectional=True." };
        var batchFirst = new Option<bool>("--batch-first") { Description = "batch_first=True (input and output only)." };
        var projSize = new Option<int>("--proj-size") { Description = "proj_size (LSTM only, default 0).", DefaultValueFactory = _ => 0 };
        var nonlinearity = new Option<string>("--nonlinearity") { Description = "tanh or relu (RNN only).", DefaultValueFactory = _ => "tanh" };
        nonlinearity.AcceptOnlyFromAmong("tanh", "relu");
        var noBias = new Option<bool>("--no-bias") { Description = "bias=False." };
        var seqLen = new Option<int?>("--seq-len") { Description = "seq_len of the example input (default 5, or max of --lengths)." };
        var batch = new Option<int?>("--batch") { Description = "batch size; omit to explain the unbatched form." };
        var lengths = new Option<string?>("--lengths") { Description = "lengths of a padded batch, e.g. 5,3,2 (explained through packing)." };
        var json = new Option<bool>("--json") { Description = "print the explanation as JSON." };
        var svg = new Option<FileInfo?>("--svg") { Description = "also write the unrolled network as an SVG file." };
        var seed = new Option<long>("--seed") { Description = "seed of the random module and input used to check the identities.", DefaultValueFactory = _ => 0 };

        var command = new Command("explain", "Every input, state, output and parameter shape of an RNN/LSTM/GRU, with the identities between output and h_n checked by running the module.")
        {
            mode, inputSize, hiddenSize, numLayers, bidirectional, batchFirst, projSize, nonlinearity, noBias, seqLen, batch, lengths, json, svg, seed,
        };
        command.SetAction(parse =>
        {
            ExplainConfig config;
            try
            {
                config = new ExplainConfig
                {
                    Mode = parse.GetValue(mode) switch
                    {
                        "rnn" => RecurrentKind.Rnn,
                        "gru" => RecurrentKind.Gru,
                        _ => RecurrentKind.Lstm,
                    },
                    InputSize = parse.GetValue(inputSize),
                    HiddenSize = parse.GetValue(hiddenSize),
                    NumLayers = parse.GetValue(numLayers),
                    Bidirectional = parse.GetValue(bidirectional),
                    BatchFirst = parse.GetValue(batchFirst),
                    ProjSize = parse.GetValue(projSize),
                    Nonlinearity = parse.GetValue(nonlinearity) ?? "tanh",
                    Bias = !parse.GetValue(noBias),
                    SeqLen = parse.GetValue(seqLen),
                    Batch = parse.GetValue(batch),
                    Lengths = ParseLengths(parse.GetValue(lengths)),
                };
                config.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message.Split(" (Parameter", 2)[0]);
                return 2;
            }
            var explanation = Explainer.Explain(config, parse.GetValue(seed));
            if (parse.GetValue(svg) is { } file)
            {
                File.WriteAllText(file.FullName, UnrolledSvg.Render(config));
            }
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(ExplainJson.Serialize(explanation));
            }
            else
            {
                Render(explanation, CreateConsole());
                if (parse.GetValue(svg) is { } written)
                {
                    Console.Out.WriteLine($"Wrote {written.FullName}");
                }
            }
            return explanation.Identities.Any(i => i.Status == IdentityStatus.Fails) ? 1 : 0;
        });
        return command;
    }

    private static int[]? ParseLengths(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var result = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]))
            {
                throw new ArgumentException($"explain: --lengths must be comma-separated integers like 5,3,2; '{parts[i]}' is not an integer.");
            }
        }
        return result;
    }

    private static IAnsiConsole CreateConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = 160;
        }
        return console;
    }

    /// <summary>Writes the explanation as tables and lists (every shape and formula escaped: brackets are markup).</summary>
    internal static void Render(Explanation e, IAnsiConsole console)
    {
        var c = e.Config;
        console.MarkupLine($"[bold]{Markup.Escape(e.Module)}[/]");
        var sizes = $"T = seq_len = {c.EffectiveSeqLen}, " + (c.IsBatched ? $"B = batch = {c.EffectiveBatch}, " : "unbatched, ") +
                    $"H = {(c.ProjSize > 0 ? "proj_size" : "hidden_size")} = {c.HiddenOutSize}, L = num_layers = {c.NumLayers}, D = num_directions = {c.NumDirections}";
        console.MarkupLine($"[grey]{Markup.Escape(sizes)}[/]");
        console.WriteLine();

        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("tensor");
        table.AddColumn(new TableColumn("shape").NoWrap());
        table.AddColumn("formula");
        table.AddColumn("meaning");
        var parametersStarted = false;
        foreach (var row in e.Rows)
        {
            if (row.Role == TensorRole.Parameter && !parametersStarted)
            {
                parametersStarted = true;
                table.AddEmptyRow();
                table.AddRow(new Markup("[bold]parameters[/]"), new Spectre.Console.Text(""), new Spectre.Console.Text(""), new Spectre.Console.Text(""));
            }
            var nameStyle = row.Role switch
            {
                TensorRole.Output or TensorRole.FinalState => "bold green",
                TensorRole.Input or TensorRole.InitialState => "bold",
                TensorRole.Packed => "italic",
                _ => "",
            };
            table.AddRow(
                new Markup(nameStyle.Length == 0 ? Markup.Escape(row.Name) : $"[{nameStyle}]{Markup.Escape(row.Name)}[/]"),
                new Spectre.Console.Text(row.ShapeText),
                new Spectre.Console.Text(row.Formula),
                new Spectre.Console.Text(row.Meaning));
        }
        console.Write(table);
        console.WriteLine();

        if (e.Sequences.Count > 0)
        {
            var seq = new Table().Border(TableBorder.Rounded).Title("where each sequence's final state comes from");
            seq.AddColumn("b");
            seq.AddColumn("length");
            seq.AddColumn("forward h_n read at step");
            if (c.Bidirectional)
            {
                seq.AddColumn("backward h_n read at step");
            }
            seq.AddColumn("padding steps in output");
            foreach (var s in e.Sequences)
            {
                var cells = new List<string> { s.BatchIndex.ToString(CultureInfo.InvariantCulture), s.Length.ToString(CultureInfo.InvariantCulture), s.ForwardStep.ToString(CultureInfo.InvariantCulture) };
                if (c.Bidirectional)
                {
                    cells.Add(s.BackwardStep?.ToString(CultureInfo.InvariantCulture) ?? "");
                }
                cells.Add(s.PaddedSteps == 0 ? "none" : $"{s.PaddedSteps} (steps {s.Length}..{c.EffectiveSeqLen - 1})");
                seq.AddRow(cells.Select(x => new Spectre.Console.Text(x)).ToArray());
            }
            console.Write(seq);
            console.WriteLine();
        }

        console.MarkupLine("[bold]Identities[/] [grey](each checked by running a randomly initialised module on random input)[/]");
        foreach (var id in e.Identities)
        {
            var mark = id.Status switch
            {
                IdentityStatus.Holds => "[green]✓[/]",
                IdentityStatus.Fails => "[red]✗ FAILS[/]",
                _ => "[grey]?[/]",
            };
            console.MarkupLine($"  {mark} [bold]{Markup.Escape(id.Expression)}[/]");
            console.MarkupLine($"      {Markup.Escape(id.Meaning)}");
            console.MarkupLine($"      [grey]C#: {Markup.Escape(id.CSharp)}{(id.Detail is null ? "" : "  — " + Markup.Escape(id.Detail))}[/]");
        }
        console.WriteLine();
        foreach (var w in e.Warnings)
        {
            console.MarkupLine($"[yellow]⚠ {Markup.Escape(w)}[/]");
        }
        if (e.Warnings.Count > 0)
        {
            console.WriteLine();
        }
        console.MarkupLine($"[bold]Parameters:[/] {e.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} " +
                           $"[grey]({e.Rows.Count(r => r.Role == TensorRole.Parameter)} tensors)[/]");
    }
}
