using System.CommandLine;
using Sequin.IO;
using Sequin.Tensors;
using Sequin.Training;

namespace Sequin.Cli.Commands;

/// <summary><c>sequin generate</c>: continues a prefix with a trained checkpoint (greedy like d2l's predict_ch8, or sampled).</summary>
internal static class GenerateCommand
{
    internal static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder written by `sequin train`.", Required = true };
        var prefix = new Option<string>("--prefix") { Description = "Text to continue.", DefaultValueFactory = _ => "time traveller" };
        var length = new Option<int>("--length") { Description = "Characters to generate.", DefaultValueFactory = _ => 200 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy (default); > 0 samples from softmax(logits / T)." };
        var topK = new Option<int>("--top-k") { Description = "Sample only among the K most likely characters (with --temperature)." };
        var seed = new Option<long>("--seed") { Description = "Seed for sampling.", DefaultValueFactory = _ => 0 };
        var command = new Command("generate", "Generate text from a checkpoint of `sequin train` (greedy by default, as d2l's predict_ch8).")
        {
            checkpoint, prefix, length, temperature, topK, seed,
        };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(checkpoint)!;
            var text = parse.GetValue(prefix) ?? "";
            var n = parse.GetValue(length);
            var temp = parse.GetValue(temperature);
            if (text.Length == 0 || n < 0 || temp < 0 || parse.GetValue(topK) < 0)
            {
                Console.Error.WriteLine("generate: --prefix must be non-empty, and --length, --temperature and --top-k must not be negative.");
                return 2;
            }
            try
            {
                var ck = Checkpoint.Load(dir);
                var options = LanguageModelTrainer.OptionsFromConfig(ck.Config);
                var vocab = Text.Vocab.FromTokens(ck.Vocab ?? throw new InvalidDataException($"Checkpoint '{dir}' has no vocab.json."));
                var model = LanguageModelTrainer.CreateModel(options, vocab.Count, new Generator(0));
                Checkpoint.Restore(ck, model, null);
                var ids = model.Predict([.. text.ToLowerInvariant().Select(c => vocab[c.ToString()])], n, temp, parse.GetValue(topK), new Generator(parse.GetValue(seed)));
                Console.WriteLine(string.Concat(vocab.ToTokens(ids)));
                return 0;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                Console.Error.WriteLine("generate: " + e.Message);
                return 1;
            }
        });
        return command;
    }
}
