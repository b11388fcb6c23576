using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sequin.IO;
using Sequin.Training;
using Spectre.Console;

namespace Sequin.Cli.Commands;

/// <summary><c>sequin train</c>: trains a character language model (LSTM by default) on the embedded Time Machine or a text file.</summary>
internal static class TrainCommand
{
    /// <summary>Defaults of a bare <c>sequin train</c>: chosen to finish in a few minutes on 2 cores and visibly learn.</summary>
    private static TrainOptions QuickDefaults() => new()
    {
        Mode = "lstm",
        Layers = 1,
        Hidden = 128,
        Embedding = 0,
        Epochs = 50,
        BatchSize = 32,
        SeqLen = 35,
        Lr = 0.01,
        Optimizer = "adam",
        Clip = 1,
        MaxTokens = 10000,
    };

    internal static Command Create()
    {
        var mode = new Option<string?>("--mode") { Description = "Recurrent layer: lstm (default), gru or rnn." };
        mode.AcceptOnlyFromAmong("lstm", "gru", "rnn");
        var layers = new Option<int?>("--layers") { Description = "Stacked recurrent layers (default 1)." };
        var hidden = new Option<int?>("--hidden") { Description = "Hidden size (default 128; d2l preset 256)." };
        var embedding = new Option<int?>("--embedding") { Description = "Embedding size; 0 = one-hot input as in d2l (default 0)." };
        var dropout = new Option<double?>("--dropout") { Description = "Dropout between layers and before the head (default 0)." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default 50; d2l preset 500). With --resume: the total to reach." };
        var batch = new Option<int?>("--batch-size") { Description = "Sequences per minibatch (default 32)." };
        var seqLen = new Option<int?>("--seq-len") { Description = "Time steps per minibatch (default 35)." };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default 0.01 for adam/adamw, 1 for sgd)." };
        var optimizer = new Option<string?>("--optimizer") { Description = "adam (default), adamw or sgd (the d2l preset uses sgd)." };
        optimizer.AcceptOnlyFromAmong("sgd", "adam", "adamw");
        var clip = new Option<double?>("--clip") { Description = "Clip the gradient norm to this value; 0 disables (default 1)." };
        var seed = new Option<long?>("--seed") { Description = "Random seed (default 0)." };
        var text = new Option<string?>("--text") { Description = "Train on this UTF-8 text file instead of the embedded Time Machine (all of it)." };
        var output = new Option<string?>("--output") { Description = "Checkpoint folder (default ./runs/<timestamp>)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the checkpoint in DIR exactly where it stopped." };
        var threads = new Option<int?>("--threads") { Description = "Threads for the kernels (default: all cores)." };
        var report = new Option<string?>("--report") { Description = "Write a JSON summary (final_perplexity, tokens_per_second, epochs, parameters, seconds) to FILE." };
        var preset = new Option<string?>("--preset") { Description = "d2l: d2l chapter 8 exactly (10,000 tokens, one-hot, LSTM 256, batch 32×35, SGD lr 1, clip 1, 500 epochs)." };
        preset.AcceptOnlyFromAmong("d2l");
        var bidirectional = new Option<bool>("--bidirectional") { Description = "Refused: a language model cannot look at the future it must predict." };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue after training.", DefaultValueFactory = _ => "time traveller" };
        var random = new Option<bool>("--random-iter") { Description = "Sample random subsequences instead of sequential partitioning." };

        var command = new Command("train",
            "Train a character language model (d2l chapter 8) on the embedded Time Machine: live progress, then generated text and a checkpoint.")
        {
            mode, layers, hidden, embedding, dropout, epochs, batch, seqLen, lr, optimizer, clip, seed, text, output, resume, threads, report,
            preset, bidirectional, prompt, random,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(bidirectional))
            {
                Console.Error.WriteLine("train: --bidirectional is refused: a language model predicts the next character, and a backward direction would " +
                    "read that character from the input (the loss would go to zero while learning nothing). Use bidirectional layers for tagging or classification.");
                return 2;
            }
            var o = parse.GetValue(preset) == "d2l" ? TrainOptions.D2lPreset() : QuickDefaults();
            if (parse.GetValue(mode) is { } m) { o.Mode = m; }
            if (parse.GetValue(layers) is { } l) { o.Layers = l; }
            if (parse.GetValue(hidden) is { } h) { o.Hidden = h; }
            if (parse.GetValue(embedding) is { } e) { o.Embedding = e; }
            if (parse.GetValue(dropout) is { } d) { o.Dropout = d; }
            if (parse.GetValue(epochs) is { } ep) { o.Epochs = ep; }
            if (parse.GetValue(batch) is { } b) { o.BatchSize = b; }
            if (parse.GetValue(seqLen) is { } s) { o.SeqLen = s; }
            if (parse.GetValue(optimizer) is { } opt)
            {
                o.Optimizer = opt;
                o.Lr = opt == "sgd" ? 1 : 0.01;
            }
            if (parse.GetValue(lr) is { } r) { o.Lr = r; }
            if (parse.GetValue(clip) is { } c) { o.Clip = c; }
            if (parse.GetValue(seed) is { } sd) { o.Seed = sd; }
            if (parse.GetValue(text) is { } t) { o.TextFile = t; o.MaxTokens = -1; }
            o.RandomIter |= parse.GetValue(random);
            o.Resume = parse.GetValue(resume);
            o.Output = parse.GetValue(output) ?? o.Resume ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
            if (parse.GetValue(threads) is { } th)
            {
                if (th < 1)
                {
                    Console.Error.WriteLine($"train: --threads must be at least 1; got {th}.");
                    return 2;
                }
                Kernels.Parallelism.MaxThreads = th;
            }
            if (o.Epochs < 1 || o.BatchSize < 1 || o.SeqLen < 1 || o.Hidden < 1 || o.Layers < 1 || o.Embedding < 0 || o.Dropout is < 0 or >= 1 || !(o.Lr > 0))
            {
                Console.Error.WriteLine("train: --epochs, --batch-size, --seq-len, --hidden, --layers and --lr must be positive, --embedding ≥ 0 and 0 ≤ --dropout < 1.");
                return 2;
            }
            return Run(o, parse.GetValue(prompt) ?? "time traveller", parse.GetValue(report));
        });
        return command;
    }

    private static int Run(TrainOptions o, string prompt, string? reportPath)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (!cts.IsCancellationRequested)
            {
                e.Cancel = true;
                cts.Cancel();
            }
        };
        Console.CancelKeyPress += onCancel;
        var interactive = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null;
        var inv = CultureInfo.InvariantCulture;
        TrainResult result;
        try
        {
            var description = o.Resume is null
                ? $"{o.Mode.ToUpperInvariant()} {o.Layers}×{o.Hidden}, {(o.Embedding == 0 ? "one-hot" : $"embedding {o.Embedding}")}, {o.Optimizer} lr {o.Lr.ToString(inv)}, " +
                  $"batch {o.BatchSize}×{o.SeqLen}, {o.Epochs} epochs, corpus {(o.TextFile ?? "Time Machine")}{(o.MaxTokens > 0 ? $" (first {o.MaxTokens} tokens)" : "")}"
                : $"resuming {o.Resume} up to epoch {o.Epochs}";
            Console.WriteLine($"sequin train: {description}");
            var printEvery = Math.Max(1, o.Epochs / 50);
            void Plain(EpochReport r)
            {
                if (r.Epoch % printEvery == 0 || r.Epoch == r.Epochs || r.Epoch == 1)
                {
                    var eta = r.Epoch > 0 ? TimeSpan.FromSeconds(r.Seconds / r.Epoch * (r.Epochs - r.Epoch)) : TimeSpan.Zero;
                    Console.WriteLine(string.Create(inv,
                        $"epoch {r.Epoch,4}/{r.Epochs}  loss {r.Loss:F4}  perplexity {r.Perplexity:F3}  {r.TokensPerSecond:F0} tokens/s  elapsed {r.Seconds:F0}s  ETA {eta:hh\\:mm\\:ss}"));
                }
            }
            if (interactive)
            {
                TrainResult? r = null;
                AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                        new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("starting", maxValue: o.Epochs);
                        var last = "";
                        r = LanguageModelTrainer.Run(o,
                            e =>
                            {
                                last = string.Create(inv, $"epoch {e.Epoch}/{e.Epochs}  loss {e.Loss:F3}  ppl {e.Perplexity:F2}  {e.TokensPerSecond:F0} tok/s");
                                task.Value = e.Epoch;
                                task.Description = Markup.Escape(last);
                            },
                            s =>
                            {
                                task.Description = Markup.Escape(string.Create(inv,
                                    $"epoch {s.Epoch}/{o.Epochs} batch {s.Batch}/{s.Batches}  loss {s.Loss:F3}  ppl {Math.Exp(s.Loss):F2}  {s.TokensPerSecond:F0} tok/s"));
                            },
                            cts.Token);
                    });
                result = r!;
            }
            else
            {
                result = LanguageModelTrainer.Run(o, Plain, null, cts.Token);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            Console.Error.WriteLine("train: " + e.Message);
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        if (Environment.GetEnvironmentVariable("SEQUIN_PROFILE") is not null)
        {
            var p = LanguageModelTrainer.Profile;
            Console.Error.WriteLine(string.Create(inv,
                $"profile (s): forward {p[0] / (double)System.Diagnostics.Stopwatch.Frequency:F2}, loss {p[1] / (double)System.Diagnostics.Stopwatch.Frequency:F2}, " +
                $"backward {p[2] / (double)System.Diagnostics.Stopwatch.Frequency:F2}, clip {p[3] / (double)System.Diagnostics.Stopwatch.Frequency:F2}, " +
                $"step {p[4] / (double)System.Diagnostics.Stopwatch.Frequency:F2}"));
        }
        if (result.Status != TrainStatus.Completed)
        {
            Console.Error.WriteLine("train: " + result.Message);
        }
        Console.WriteLine(string.Create(inv,
            $"perplexity {result.FinalPerplexity:F3}, {result.TokensPerSecond:F0} tokens/s, {result.Epochs} epochs, {result.Parameters} parameters, {result.Seconds:F1} s"));
        if (result.Epochs > 0 && result.Status != TrainStatus.Diverged)
        {
            var prefix = prompt.ToLowerInvariant();
            var ids = result.Model.Predict([.. prefix.Select(ch => result.Vocab[ch.ToString()])], 100);
            Console.WriteLine("sample: " + string.Concat(result.Vocab.ToTokens(ids)));
        }
        if (result.CheckpointDir is not null)
        {
            Console.WriteLine($"checkpoint: {result.CheckpointDir}  (sequin generate --checkpoint {result.CheckpointDir} --prefix \"{prompt}\")");
        }
        if (reportPath is not null)
        {
            Checkpoint.WriteJson(reportPath, w =>
            {
                w.WriteNumber("final_perplexity", result.FinalPerplexity);
                w.WriteNumber("tokens_per_second", result.TokensPerSecond);
                w.WriteNumber("epochs", result.Epochs);
                w.WriteNumber("parameters", result.Parameters);
                w.WriteNumber("seconds", result.Seconds);
                w.WriteString("status", result.Status.ToString().ToLowerInvariant());
                w.WriteStartArray("perplexities");
                foreach (var l in result.Losses)
                {
                    w.WriteNumberValue(Math.Exp(l));
                }
                w.WriteEndArray();
            });
        }
        return result.Status switch
        {
            TrainStatus.Completed => 0,
            TrainStatus.Cancelled => 130,
            _ => 3,
        };
    }
}
