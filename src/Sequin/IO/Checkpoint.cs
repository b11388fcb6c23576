using System.Globalization;
using System.Text;
using System.Text.Json;
using Sequin.Nn;
using Sequin.Optim;
using Sequin.Tensors;

namespace Sequin.IO;

/// <summary>Training progress stored in a checkpoint's <c>progress.json</c>.</summary>
public sealed class TrainingProgress
{
    /// <summary>Epochs completed.</summary>
    public int Epoch { get; set; }

    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; set; }

    /// <summary>The training generator's state after the last completed epoch (<see cref="Generator.GetState"/>).</summary>
    public ulong[] RngState { get; set; } = [];

    /// <summary>Mean training loss of each completed epoch.</summary>
    public List<double> Losses { get; } = [];

    /// <summary>Training time so far, in seconds.</summary>
    public double Seconds { get; set; }

    /// <summary>Tokens processed so far.</summary>
    public long Tokens { get; set; }
}

/// <summary>A checkpoint read by <see cref="Checkpoint.Load"/>.</summary>
/// <param name="Model">The model state dict under PyTorch names.</param>
/// <param name="OptimizerType">The optimizer's class name (SGD, Adam, ...), or null when none was saved.</param>
/// <param name="OptimizerState">Per-parameter optimizer state by parameter index.</param>
/// <param name="OptimizerGroups">Hyper-parameters of each optimizer parameter group.</param>
/// <param name="Vocab">Tokens in index order, or null.</param>
/// <param name="Config">The configuration (string values).</param>
/// <param name="Progress">The training progress.</param>
public sealed record LoadedCheckpoint(
    Dictionary<string, Tensor> Model,
    string? OptimizerType,
    Dictionary<int, Dictionary<string, Tensor>> OptimizerState,
    List<Dictionary<string, double>> OptimizerGroups,
    List<string>? Vocab,
    Dictionary<string, string> Config,
    TrainingProgress Progress);

/// <summary>
/// A training checkpoint folder: <c>model.safetensors</c> (the state dict under PyTorch's names — in Python,
/// <c>model.load_state_dict(safetensors.torch.load_file("model.safetensors"))</c>), <c>optimizer.safetensors</c> +
/// <c>optimizer.json</c> (state and hyper-parameters), <c>vocab.json</c>, <c>config.json</c> and <c>progress.json</c>
/// (epoch, step, RNG state, losses). Every file is written atomically (temporary file, flush, rename) and stamped with
/// the step; <c>progress.json</c> is written last, so an interrupted save is detected on load instead of being
/// silently mixed.
/// </summary>
public static class Checkpoint
{
    /// <summary>File name of the model weights.</summary>
    public const string ModelFile = "model.safetensors";

    /// <summary>Saves a checkpoint into <paramref name="directory"/> (created if needed).</summary>
    public static void Save(string directory, Module model, Optimizer? optimizer, IReadOnlyList<string>? vocab,
        IReadOnlyDictionary<string, string> config, TrainingProgress progress)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(progress);
        Directory.CreateDirectory(directory);
        var stamp = progress.Step.ToString(CultureInfo.InvariantCulture);
        SafeTensors.Save(Path.Combine(directory, ModelFile), model.StateDict(), new Dictionary<string, string> { ["format"] = "pt", ["step"] = stamp });
        if (optimizer is not null)
        {
            var tensors = new Dictionary<string, Tensor>();
            foreach (var (i, s) in optimizer.StateDict())
            {
                foreach (var (name, t) in s)
                {
                    tensors[string.Create(CultureInfo.InvariantCulture, $"state.{i}.{name}")] = t;
                }
            }
            SafeTensors.Save(Path.Combine(directory, "optimizer.safetensors"), tensors, new Dictionary<string, string> { ["step"] = stamp });
            WriteJson(Path.Combine(directory, "optimizer.json"), w =>
            {
                w.WriteString("type", optimizer.GetType().Name);
                w.WriteString("step", stamp);
                w.WriteStartArray("param_groups");
                foreach (var g in optimizer.ParamGroups)
                {
                    w.WriteStartObject();
                    foreach (var (k, v) in g.Options)
                    {
                        w.WriteNumber(k, v);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        if (vocab is not null)
        {
            WriteJson(Path.Combine(directory, "vocab.json"), w =>
            {
                w.WriteStartArray("idx_to_token");
                foreach (var t in vocab)
                {
                    w.WriteStringValue(t);
                }
                w.WriteEndArray();
            });
        }
        WriteJson(Path.Combine(directory, "config.json"), w =>
        {
            foreach (var (k, v) in config)
            {
                w.WriteString(k, v);
            }
        });
        WriteJson(Path.Combine(directory, "progress.json"), w =>
        {
            w.WriteNumber("epoch", progress.Epoch);
            w.WriteNumber("step", progress.Step);
            w.WriteNumber("seconds", progress.Seconds);
            w.WriteNumber("tokens", progress.Tokens);
            w.WriteStartArray("rng_state");
            foreach (var s in progress.RngState)
            {
                w.WriteStringValue(s.ToString(CultureInfo.InvariantCulture));
            }
            w.WriteEndArray();
            w.WriteStartArray("losses");
            foreach (var l in progress.Losses)
            {
                w.WriteNumberValue(l);
            }
            w.WriteEndArray();
        });
    }

    /// <summary>Reads a checkpoint folder; throws <see cref="InvalidDataException"/> with a one-line reason when it is missing, unreadable or inconsistent.</summary>
    public static LoadedCheckpoint Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new InvalidDataException($"Checkpoint folder '{directory}' does not exist.");
        }
        var progressPath = Path.Combine(directory, "progress.json");
        var modelPath = Path.Combine(directory, ModelFile);
        if (!File.Exists(progressPath) || !File.Exists(modelPath))
        {
            throw new InvalidDataException($"'{directory}' is not a complete checkpoint: it needs {ModelFile} and progress.json.");
        }
        try
        {
            var progress = new TrainingProgress();
            using (var doc = JsonDocument.Parse(File.ReadAllBytes(progressPath)))
            {
                var r = doc.RootElement;
                progress.Epoch = r.GetProperty("epoch").GetInt32();
                progress.Step = r.GetProperty("step").GetInt64();
                progress.Seconds = r.GetProperty("seconds").GetDouble();
                progress.Tokens = r.GetProperty("tokens").GetInt64();
                progress.RngState = [.. r.GetProperty("rng_state").EnumerateArray().Select(e => ulong.Parse(e.GetString()!, CultureInfo.InvariantCulture))];
                progress.Losses.AddRange(r.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()));
            }
            var stamp = progress.Step.ToString(CultureInfo.InvariantCulture);
            var (model, meta) = SafeTensors.Load(modelPath);
            CheckStamp(meta, stamp, ModelFile, directory);
            string? optType = null;
            var optState = new Dictionary<int, Dictionary<string, Tensor>>();
            var groups = new List<Dictionary<string, double>>();
            var optJson = Path.Combine(directory, "optimizer.json");
            if (File.Exists(optJson))
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(optJson));
                optType = doc.RootElement.GetProperty("type").GetString();
                if (doc.RootElement.GetProperty("step").GetString() != stamp)
                {
                    throw new InvalidDataException($"Checkpoint '{directory}' is inconsistent: optimizer.json is from another step than progress.json (the save was interrupted).");
                }
                foreach (var g in doc.RootElement.GetProperty("param_groups").EnumerateArray())
                {
                    groups.Add(g.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble()));
                }
                var (ot, om) = SafeTensors.Load(Path.Combine(directory, "optimizer.safetensors"));
                CheckStamp(om, stamp, "optimizer.safetensors", directory);
                foreach (var (key, t) in ot)
                {
                    var parts = key.Split('.', 3);
                    var idx = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    if (!optState.TryGetValue(idx, out var s))
                    {
                        s = [];
                        optState[idx] = s;
                    }
                    s[parts[2]] = t;
                }
            }
            List<string>? vocab = null;
            var vocabPath = Path.Combine(directory, "vocab.json");
            if (File.Exists(vocabPath))
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(vocabPath));
                vocab = [.. doc.RootElement.GetProperty("idx_to_token").EnumerateArray().Select(e => e.GetString()!)];
            }
            var config = new Dictionary<string, string>();
            var configPath = Path.Combine(directory, "config.json");
            if (File.Exists(configPath))
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(configPath));
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    config[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
            }
            return new LoadedCheckpoint(model, optType, optState, groups, vocab, config, progress);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"Checkpoint '{directory}' is unreadable: {e.Message}", e);
        }
    }

    /// <summary>
    /// Copies the checkpoint's weights (and optimizer state) into <paramref name="model"/> and <paramref name="optimizer"/>;
    /// a checkpoint of a differently shaped model gives one line naming the first mismatching parameter.
    /// </summary>
    public static void Restore(LoadedCheckpoint checkpoint, Module model, Optimizer? optimizer)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(model);
        var own = model.StateDict();
        foreach (var (name, t) in own)
        {
            if (!checkpoint.Model.TryGetValue(name, out var src))
            {
                throw new InvalidDataException($"The checkpoint does not fit this model: it has no '{name}' (it was saved from a different architecture).");
            }
            if (src.Shape != t.Shape)
            {
                throw new InvalidDataException(
                    $"The checkpoint does not fit this model: '{name}' has shape {src.Shape} in the checkpoint but {t.Shape} in the model (different hidden size, layers, embedding or vocabulary).");
            }
        }
        var extra = checkpoint.Model.Keys.FirstOrDefault(k => !own.ContainsKey(k));
        if (extra is not null)
        {
            throw new InvalidDataException($"The checkpoint does not fit this model: it has '{extra}', which this model lacks (different mode or number of layers).");
        }
        model.LoadStateDict(checkpoint.Model);
        if (optimizer is not null && checkpoint.OptimizerType is not null)
        {
            if (checkpoint.OptimizerType != optimizer.GetType().Name)
            {
                throw new InvalidDataException($"The checkpoint was trained with {checkpoint.OptimizerType}, not {optimizer.GetType().Name}; resume with the same --optimizer.");
            }
            optimizer.LoadStateDict(checkpoint.OptimizerState);
            for (var i = 0; i < Math.Min(optimizer.ParamGroups.Count, checkpoint.OptimizerGroups.Count); i++)
            {
                foreach (var (k, v) in checkpoint.OptimizerGroups[i])
                {
                    optimizer.ParamGroups[i].Options[k] = v;
                }
            }
        }
    }

    private static void CheckStamp(Dictionary<string, string> meta, string stamp, string file, string directory)
    {
        if (!meta.TryGetValue("step", out var s) || s != stamp)
        {
            throw new InvalidDataException($"Checkpoint '{directory}' is inconsistent: {file} is from another step than progress.json (the save was interrupted).");
        }
    }

    /// <summary>Writes a JSON object atomically: temporary file in the same folder, flush to disk, rename over the target.</summary>
    public static void WriteJson(string path, Action<Utf8JsonWriter> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(body);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        WriteAtomically(path, ms.ToArray());
    }

    /// <summary>Writes bytes atomically: temporary file in the same folder, flush to disk, rename over the target.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // The original error matters more.
            }
            throw;
        }
    }

    /// <summary>Writes text atomically (UTF-8).</summary>
    public static void WriteTextAtomically(string path, string text) => WriteAtomically(path, Encoding.UTF8.GetBytes(text ?? ""));
}
