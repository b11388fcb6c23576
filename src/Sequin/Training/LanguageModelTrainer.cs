using System.Diagnostics;
using System.Globalization;
using Sequin.IO;
using Sequin.Nn;
using Sequin.Optim;
using Sequin.Tensors;
using Sequin.Text;

namespace Sequin.Training;

/// <summary>How a training run ended.</summary>
public enum TrainStatus
{
    /// <summary>All epochs ran.</summary>
    Completed,

    /// <summary>Stopped by cancellation (Ctrl+C); the last checkpoint is kept.</summary>
    Cancelled,

    /// <summary>The loss became NaN or infinite; the last good checkpoint is kept.</summary>
    Diverged,
}

/// <summary>Progress after one minibatch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Batch">1-based minibatch within the epoch.</param>
/// <param name="Batches">Minibatches per epoch (upper bound).</param>
/// <param name="Loss">Running mean loss of the epoch so far.</param>
/// <param name="TokensPerSecond">Training throughput so far.</param>
public readonly record struct StepReport(int Epoch, int Batch, int Batches, double Loss, double TokensPerSecond);

/// <summary>Summary of one epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Total epochs of the run.</param>
/// <param name="Loss">Mean training loss.</param>
/// <param name="Perplexity">exp(Loss).</param>
/// <param name="TokensPerSecond">Throughput of this run so far.</param>
/// <param name="Seconds">Training seconds so far (including resumed time).</param>
public readonly record struct EpochReport(int Epoch, int Epochs, double Loss, double Perplexity, double TokensPerSecond, double Seconds);

/// <summary>Result of <see cref="LanguageModelTrainer.Run"/>.</summary>
public sealed class TrainResult
{
    /// <summary>How the run ended.</summary>
    public TrainStatus Status { get; init; }

    /// <summary>Explanation when not completed.</summary>
    public string? Message { get; init; }

    /// <summary>Perplexity of the last completed epoch.</summary>
    public double FinalPerplexity { get; init; }

    /// <summary>Tokens per second over this process's training time.</summary>
    public double TokensPerSecond { get; init; }

    /// <summary>Epochs completed in total.</summary>
    public int Epochs { get; init; }

    /// <summary>Trainable parameter count.</summary>
    public long Parameters { get; init; }

    /// <summary>Training seconds in this process.</summary>
    public double Seconds { get; init; }

    /// <summary>Mean loss of every completed epoch (including resumed ones).</summary>
    public IReadOnlyList<double> Losses { get; init; } = [];

    /// <summary>Folder of the last checkpoint written, or null.</summary>
    public string? CheckpointDir { get; init; }

    /// <summary>The trained model.</summary>
    public required RnnLanguageModel Model { get; init; }

    /// <summary>The vocabulary.</summary>
    public required Vocab Vocab { get; init; }
}

/// <summary>
/// Trains an <see cref="RnnLanguageModel"/> on characters as d2l chapter 8 does: minibatches from
/// <see cref="SequenceIterators"/>, the state carried across minibatches and detached (sequential partitioning), mean
/// cross-entropy, gradient clipping, one optimizer step per minibatch; perplexity per epoch. Checkpoints and resumes
/// exactly (weights, optimizer state, generator state, losses).
/// </summary>
public static class LanguageModelTrainer
{
    /// <summary>Loads the corpus named by <paramref name="options"/> (embedded book or <see cref="TrainOptions.TextFile"/>).</summary>
    public static (int[] Corpus, Vocab Vocab) LoadCorpus(TrainOptions options, IReadOnlyList<string>? vocabTokens = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> tokens;
        if (options.TextFile is null)
        {
            tokens = TimeMachine.CharTokens(TimeMachine.ReadLines());
        }
        else
        {
            string text;
            try
            {
                text = File.ReadAllText(options.TextFile, new System.Text.UTF8Encoding(false, true));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.DecoderFallbackException)
            {
                throw new InvalidDataException($"Cannot read --text '{options.TextFile}': {e.Message}", e);
            }
            tokens = [];
            foreach (var line in TimeMachine.SplitLines(text))
            {
                foreach (var ch in TimeMachine.PreprocessUnicode(line))
                {
                    tokens.Add(ch.ToString());
                }
            }
        }
        var vocab = vocabTokens is null ? new Vocab(tokens) : Vocab.FromTokens(vocabTokens);
        var corpus = vocab.Encode(tokens);
        if (options.MaxTokens > 0 && corpus.Length > options.MaxTokens)
        {
            corpus = corpus[..options.MaxTokens];
        }
        var need = (options.BatchSize * (options.SeqLen + 1)) + options.SeqLen + 1;
        if (corpus.Length < need)
        {
            throw new InvalidDataException(
                $"The corpus{(options.TextFile is null ? "" : $" '{options.TextFile}'")} has {corpus.Length} tokens after preprocessing (letters only, lower-cased); " +
                $"batch size {options.BatchSize} × sequence length {options.SeqLen} needs at least {need}. Use a longer text or smaller --batch-size/--seq-len.");
        }
        return (corpus, vocab);
    }

    /// <summary>Creates the model described by <paramref name="options"/>.</summary>
    public static RnnLanguageModel CreateModel(TrainOptions options, int vocabSize, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new RnnLanguageModel(options.Mode, vocabSize, options.Hidden, options.Layers, options.Embedding, options.Dropout, generator: generator);
    }

    /// <summary>Creates the optimizer named by <see cref="TrainOptions.Optimizer"/>.</summary>
    public static Optimizer CreateOptimizer(TrainOptions options, IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Optimizer.ToLowerInvariant() switch
        {
            "sgd" => new SGD(parameters, options.Lr),
            "adam" => new Adam(parameters, options.Lr),
            "adamw" => new AdamW(parameters, options.Lr),
            _ => throw new ArgumentException($"--optimizer must be sgd, adam or adamw; got '{options.Optimizer}'."),
        };
    }

    /// <summary>The configuration recorded in checkpoints.</summary>
    public static Dictionary<string, string> ConfigOf(TrainOptions o, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(o);
        var c = CultureInfo.InvariantCulture;
        return new Dictionary<string, string>
        {
            ["model"] = "RnnLanguageModel",
            ["mode"] = o.Mode,
            ["vocab_size"] = vocabSize.ToString(c),
            ["hidden_size"] = o.Hidden.ToString(c),
            ["num_layers"] = o.Layers.ToString(c),
            ["embedding_dim"] = o.Embedding.ToString(c),
            ["dropout"] = o.Dropout.ToString("R", c),
            ["batch_size"] = o.BatchSize.ToString(c),
            ["seq_len"] = o.SeqLen.ToString(c),
            ["lr"] = o.Lr.ToString("R", c),
            ["optimizer"] = o.Optimizer,
            ["clip"] = o.Clip.ToString("R", c),
            ["d2l_clipping"] = o.D2lClipping ? "true" : "false",
            ["seed"] = o.Seed.ToString(c),
            ["text"] = o.TextFile ?? "",
            ["max_tokens"] = o.MaxTokens.ToString(c),
            ["random_iter"] = o.RandomIter ? "true" : "false",
            ["preset"] = o.Preset ?? "",
            ["epochs"] = o.Epochs.ToString(c),
        };
    }

    /// <summary>Reads the options a checkpoint was trained with (everything except epochs, output and resume).</summary>
    public static TrainOptions OptionsFromConfig(IReadOnlyDictionary<string, string> cfg)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        var c = CultureInfo.InvariantCulture;
        try
        {
            return new TrainOptions
            {
                Mode = cfg["mode"],
                Hidden = int.Parse(cfg["hidden_size"], c),
                Layers = int.Parse(cfg["num_layers"], c),
                Embedding = int.Parse(cfg["embedding_dim"], c),
                Dropout = double.Parse(cfg["dropout"], c),
                BatchSize = int.Parse(cfg["batch_size"], c),
                SeqLen = int.Parse(cfg["seq_len"], c),
                Lr = double.Parse(cfg["lr"], c),
                Optimizer = cfg["optimizer"],
                Clip = double.Parse(cfg["clip"], c),
                D2lClipping = cfg["d2l_clipping"] == "true",
                Seed = long.Parse(cfg["seed"], c),
                TextFile = cfg["text"].Length == 0 ? null : cfg["text"],
                MaxTokens = int.Parse(cfg["max_tokens"], c),
                RandomIter = cfg["random_iter"] == "true",
                Preset = cfg["preset"].Length == 0 ? null : cfg["preset"],
                Epochs = int.Parse(cfg["epochs"], c),
            };
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException)
        {
            throw new InvalidDataException($"The checkpoint's config.json is incomplete or not from `sequin train` ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Runs training. With <see cref="TrainOptions.Resume"/>, the model, optimizer, generator and loss history come from
    /// the checkpoint and training continues from its epoch up to <see cref="TrainOptions.Epochs"/>; the losses are
    /// identical to an uninterrupted run with the same seed.
    /// </summary>
    public static TrainResult Run(TrainOptions options, Action<EpochReport>? onEpoch = null, Action<StepReport>? onStep = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        LoadedCheckpoint? checkpoint = null;
        if (options.Resume is not null)
        {
            checkpoint = Checkpoint.Load(options.Resume);
            var saved = OptionsFromConfig(checkpoint.Config);
            saved.Epochs = options.Epochs;
            saved.Output = options.Output ?? options.Resume;
            saved.CheckpointSeconds = options.CheckpointSeconds;
            options = saved;
        }
        var (corpus, vocab) = LoadCorpus(options, checkpoint?.Vocab);
        var generator = new Generator(options.Seed);
        var model = CreateModel(options, vocab.Count, generator);
        var optimizer = CreateOptimizer(options, model.Parameters());
        var progress = new TrainingProgress();
        if (checkpoint is not null)
        {
            Checkpoint.Restore(checkpoint, model, optimizer);
            progress = checkpoint.Progress;
            generator.SetState(progress.RngState);
        }
        var parameters = model.Parameters().Sum(p => (long)p.Numel);
        var config = ConfigOf(options, vocab.Count);
        var batches = SequenceIterators.MaxSequentialBatches(corpus.Length, options.BatchSize, options.SeqLen);
        var clock = Stopwatch.StartNew();
        var baseSeconds = progress.Seconds;
        long tokensThisRun = 0;
        var lastSave = Stopwatch.StartNew();
        string? savedDir = checkpoint is not null ? options.Resume : null;
        var status = TrainStatus.Completed;
        string? message = null;
        model.Train();
        while (progress.Epoch < options.Epochs)
        {
            var epoch = progress.Epoch + 1;
            LanguageModelState? state = null;
            double lossSum = 0;
            long tokens = 0;
            var b = 0;
            var iterator = options.RandomIter
                ? SequenceIterators.Random(corpus, options.BatchSize, options.SeqLen, generator)
                : SequenceIterators.Sequential(corpus, options.BatchSize, options.SeqLen, generator);
            foreach (var (x, y) in iterator)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                b++;
                state = options.RandomIter ? null : state?.Detach();
                var t0 = Stopwatch.GetTimestamp();
                var (logits, next) = model.Forward(x, state);
                state = next;
                var t1 = Stopwatch.GetTimestamp();
                var loss = RnnLanguageModel.Loss(logits, y);
                var l = loss.Item();
                if (!double.IsFinite(l))
                {
                    status = TrainStatus.Diverged;
                    message = $"The loss became {l} at epoch {epoch}, step {b} (global step {progress.Step + 1}). " +
                        $"Lower the learning rate (--lr, now {options.Lr.ToString(CultureInfo.InvariantCulture)}) or clip gradients (--clip, now {options.Clip.ToString(CultureInfo.InvariantCulture)}).";
                    break;
                }
                optimizer.ZeroGrad();
                var t2 = Stopwatch.GetTimestamp();
                loss.Backward();
                var t3 = Stopwatch.GetTimestamp();
                var gradNorm = ClipGrad.GradNorm(model.Parameters());
                if (!double.IsFinite(gradNorm))
                {
                    status = TrainStatus.Diverged;
                    message = $"The gradients became {(double.IsNaN(gradNorm) ? "NaN" : "infinite")} at epoch {epoch}, step {b} (global step {progress.Step + 1}; loss {l:G4}); the step was not applied. " +
                        $"Lower the learning rate (--lr, now {options.Lr.ToString(CultureInfo.InvariantCulture)}) or clip gradients (--clip, now {options.Clip.ToString(CultureInfo.InvariantCulture)}).";
                    break;
                }
                Clip(model, options, gradNorm);
                var t4 = Stopwatch.GetTimestamp();
                optimizer.Step();
                var t5 = Stopwatch.GetTimestamp();
                Profile[0] += t1 - t0;
                Profile[1] += t2 - t1;
                Profile[2] += t3 - t2;
                Profile[3] += t4 - t3;
                Profile[4] += t5 - t4;
                progress.Step++;
                var n = y.Numel;
                lossSum += l * n;
                tokens += n;
                tokensThisRun += n;
                onStep?.Invoke(new StepReport(epoch, b, batches, lossSum / tokens, tokensThisRun / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
            }
            if (status != TrainStatus.Completed || cancellationToken.IsCancellationRequested)
            {
                if (status == TrainStatus.Completed)
                {
                    status = TrainStatus.Cancelled;
                    message = $"Interrupted during epoch {epoch}; " + (savedDir is null ? "no checkpoint was written yet." : $"the last checkpoint (epoch {LastSavedEpoch(savedDir)}) is in {savedDir}.");
                }
                else
                {
                    message += savedDir is null ? " No checkpoint had been written yet." : $" The last good checkpoint is in {savedDir}.";
                }
                break;
            }
            var meanLoss = lossSum / Math.Max(tokens, 1);
            progress.Epoch = epoch;
            progress.Losses.Add(meanLoss);
            progress.Tokens += tokens;
            progress.Seconds = baseSeconds + clock.Elapsed.TotalSeconds;
            progress.RngState = generator.GetState();
            var tps = tokensThisRun / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            onEpoch?.Invoke(new EpochReport(epoch, options.Epochs, meanLoss, Math.Exp(meanLoss), tps, progress.Seconds));
            if (options.Output is not null && (epoch == options.Epochs || lastSave.Elapsed.TotalSeconds >= options.CheckpointSeconds))
            {
                Checkpoint.Save(options.Output, model, optimizer, vocab.IdxToToken, config, progress);
                savedDir = options.Output;
                lastSave.Restart();
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        return new TrainResult
        {
            Status = status,
            Message = message,
            FinalPerplexity = progress.Losses.Count > 0 ? Math.Exp(progress.Losses[^1]) : double.NaN,
            TokensPerSecond = tokensThisRun / Math.Max(seconds, 1e-9),
            Epochs = progress.Epoch,
            Parameters = parameters,
            Seconds = seconds,
            Losses = progress.Losses,
            CheckpointDir = savedDir,
            Model = model,
            Vocab = vocab,
        };
    }

    /// <summary>Cumulative stopwatch ticks spent in forward, loss, backward, clipping and the optimizer step (for profiling).</summary>
    public static long[] Profile { get; } = new long[5];

    private static int LastSavedEpoch(string dir)
    {
        try
        {
            return Checkpoint.Load(dir).Progress.Epoch;
        }
        catch (InvalidDataException)
        {
            return 0;
        }
    }

    private static void Clip(RnnLanguageModel model, TrainOptions options, double norm)
    {
        if (options.Clip <= 0)
        {
            return;
        }
        if (!options.D2lClipping)
        {
            // clip_grad_norm_: g *= min(1, max_norm / (norm + 1e-6)); the norm is the one just computed.
            var coef = Math.Min(options.Clip / (norm + 1e-6), 1.0);
            using var ng = new Autograd.NoGrad();
            foreach (var p in model.Parameters())
            {
                p.Grad?.Mul_(coef);
            }
            return;
        }
        // d2l's grad_clipping: norm = sqrt(Σ‖g‖²); if norm > θ: g *= θ / norm.
        var ps = model.Parameters().Where(p => p.Grad is not null).ToList();
        if (norm > options.Clip)
        {
            using var _ = new Autograd.NoGrad();
            foreach (var p in ps)
            {
                p.Grad!.Mul_(options.Clip / norm);
            }
        }
    }
}
