using System.CommandLine;
using System.Globalization;
using Sequin.Tensors;
using Sequin.Verification;

namespace Sequin.Cli.Commands;

/// <summary><c>sequin verify PATH...</c>: runs PyTorch golden cases and compares every output and gradient.</summary>
internal static class VerifyCommand
{
    internal static Command Create()
    {
        var paths = new Argument<string[]>("paths")
        {
            Description = "Golden case files (.safetensors) or folders of them (searched recursively).",
            Arity = ArgumentArity.OneOrMore,
        };
        var scale = new Option<double>("--tolerance-scale")
        {
            Description = "Multiply the golden tolerances by this factor in (0, 1]; it can only tighten them.",
            DefaultValueFactory = _ => 1.0,
        };
        var dtype = new Option<string?>("--dtype") { Description = "Run only float64 or only float32 (default: both)." };
        dtype.AcceptOnlyFromAmong("float64", "float32");
        var reference = new Option<bool>("--reference")
        {
            Description = "Run recurrent layers on the composed-autograd reference path instead of the fused kernels.",
        };
        var quiet = new Option<bool>("--failures-only") { Description = "Print only FAIL lines and the summary." };

        var command = new Command("verify",
            "Run PyTorch golden cases through Sequin in float64 and float32 and compare every output and gradient " +
            "(float64: |got − want| ≤ 1e-9 + 1e-7·|want|; float32: ≤ 1e-5 + 1e-4·|want|). Prints one line per case and dtype, " +
            "then `N passed, M failed`; exits 1 when anything failed.")
        {
            paths, scale, dtype, reference, quiet,
        };
        command.SetAction(parse =>
        {
            var s = parse.GetValue(scale);
            if (!(s > 0) || s > 1)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"verify: --tolerance-scale must be in (0, 1]; got {s}. It may only tighten the golden tolerances, never loosen them."));
                return 2;
            }
            IReadOnlyList<string> files;
            try
            {
                files = GoldenRunner.FindCases(parse.GetValue(paths) ?? []);
            }
            catch (FileNotFoundException e)
            {
                Console.Error.WriteLine("verify: " + e.Message);
                return 2;
            }
            if (files.Count == 0)
            {
                Console.Error.WriteLine("verify: no .safetensors golden cases found under the given paths.");
                return 2;
            }
            var options = new GoldenRunOptions(
                s,
                parse.GetValue(dtype) switch
                {
                    "float64" => [DType.Float64],
                    "float32" => [DType.Float32],
                    _ => null,
                },
                parse.GetValue(reference));
            var onlyFailures = parse.GetValue(quiet);
            int passed = 0, failed = 0, skipped = 0;
            var perDType = new SortedDictionary<string, (int Passed, int Failed)>(StringComparer.Ordinal);
            foreach (var file in files)
            {
                foreach (var r in GoldenRunner.RunFile(file, options))
                {
                    if (r.Status != GoldenStatus.Skip)
                    {
                        var key = r.DTypeName.Length > 0 ? r.DTypeName : "unreadable";
                        var (p, f) = perDType.GetValueOrDefault(key);
                        perDType[key] = r.Status == GoldenStatus.Pass ? (p + 1, f) : (p, f + 1);
                    }
                    switch (r.Status)
                    {
                        case GoldenStatus.Pass: passed++; break;
                        case GoldenStatus.Fail: failed++; break;
                        default: skipped++; break;
                    }
                    if (!onlyFailures || r.Status == GoldenStatus.Fail)
                    {
                        Console.Out.WriteLine(r.ToString());
                    }
                }
            }
            if (perDType.Count > 1)
            {
                Console.Out.WriteLine(string.Join("; ", perDType.Reverse().Select(kv => $"{kv.Key}: {kv.Value.Passed} passed, {kv.Value.Failed} failed")));
            }
            if (skipped > 0)
            {
                Console.Out.WriteLine($"{skipped} skipped (kinds without a golden handler count neither way)");
            }
            Console.Out.WriteLine($"{passed} passed, {failed} failed");
            return failed > 0 ? 1 : 0;
        });
        return command;
    }
}
