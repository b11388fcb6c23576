using System.Globalization;
using System.Text.Json;
using Sequin.Optim;
using Sequin.Tensors;

namespace Sequin.Verification;

/// <summary>
/// Checks of the golden cases of kinds <c>optim</c> and <c>clip</c> (see tests/Sequin.Tests/Golden/FORMAT.md):
/// replays PyTorch's optimizer steps or gradient clipping in float64 and lists every tensor that differs from the
/// reference by more than |got − want| ≤ 1e-9 + 1e-7·|want|.
/// </summary>
public static class TrainingCases
{
    private const double Atol = 1e-9;
    private const double Rtol = 1e-7;

    /// <summary>
    /// Replays an <c>optim</c> case: parameters <c>param{k}.init</c>, gradients <c>param{k}.grad.{s}</c> set before each
    /// step, results compared with <c>param{k}.after.{s}</c>. Returns one line per mismatch (empty when it passes).
    /// </summary>
    public static List<string> CheckOptim(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        var failures = new List<string>();
        var parameters = new List<Tensor>();
        for (var k = 0; tensors.ContainsKey($"param{k}.init"); k++)
        {
            parameters.Add(tensors[$"param{k}.init"].Double().Clone().Detach().RequiresGrad_());
        }
        var optimizer = CreateOptimizer(metadata["optimizer"], metadata["hyper"], parameters);
        var steps = int.Parse(metadata["steps"], CultureInfo.InvariantCulture);
        for (var s = 0; s < steps; s++)
        {
            for (var k = 0; k < parameters.Count; k++)
            {
                parameters[k].Grad = tensors[$"param{k}.grad.{s}"].Double().Clone().Detach();
            }
            optimizer.Step();
            for (var k = 0; k < parameters.Count; k++)
            {
                Compare($"param{k}.after.{s}", parameters[k], tensors[$"param{k}.after.{s}"], failures);
            }
        }
        return failures;
    }

    /// <summary>Builds the optimizer named by PyTorch's class name from the case's <c>hyper</c> JSON.</summary>
    public static Optimizer CreateOptimizer(string name, string hyperJson, IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(hyperJson);
        using var doc = JsonDocument.Parse(hyperJson);
        var h = doc.RootElement;
        double D(string key, double fallback) => h.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;
        bool B(string key) => h.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;
        double Beta(int i, double fallback) => h.TryGetProperty("betas", out var v) ? v[i].GetDouble() : fallback;
        return name switch
        {
            "SGD" => new SGD(parameters, D("lr", 1e-3), D("momentum", 0), D("dampening", 0), D("weight_decay", 0), B("nesterov"), B("maximize")),
            "Adam" => new Adam(parameters, D("lr", 1e-3), Beta(0, 0.9), Beta(1, 0.999), D("eps", 1e-8), D("weight_decay", 0), B("amsgrad"), B("maximize"),
                B("decoupled_weight_decay")),
            "AdamW" => new AdamW(parameters, D("lr", 1e-3), Beta(0, 0.9), Beta(1, 0.999), D("eps", 1e-8), D("weight_decay", 1e-2), B("amsgrad"), B("maximize")),
            "RMSprop" => new RMSprop(parameters, D("lr", 1e-2), D("alpha", 0.99), D("eps", 1e-8), D("weight_decay", 0), D("momentum", 0), B("centered"), B("maximize")),
            _ => throw new NotSupportedException($"optim case: optimizer '{name}' is not implemented; known: SGD, Adam, AdamW, RMSprop."),
        };
    }

    /// <summary>
    /// Replays a <c>clip</c> case: <c>clip_grad_norm_</c> with <c>max_norm</c> and <c>norm_type</c> on gradients
    /// <c>grad0</c>, <c>grad1</c>; compares the clipped gradients and <c>total_norm</c>.
    /// </summary>
    public static List<string> CheckClip(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        var failures = new List<string>();
        var parameters = new List<Tensor>();
        for (var k = 0; tensors.ContainsKey($"grad{k}"); k++)
        {
            var g = tensors[$"grad{k}"];
            var p = Tensor.ZerosLike(g, DType.Float64).RequiresGrad_();
            p.Grad = g.Double().Clone().Detach();
            parameters.Add(p);
        }
        var maxNorm = double.Parse(metadata["max_norm"], CultureInfo.InvariantCulture);
        var normText = metadata["norm_type"];
        var normType = normText == "inf" ? double.PositiveInfinity : double.Parse(normText, CultureInfo.InvariantCulture);
        var total = ClipGrad.ClipGradNorm(parameters, maxNorm, normType);
        Compare("total_norm", Tensor.FromArray([total], 1), tensors["total_norm"], failures);
        for (var k = 0; k < parameters.Count; k++)
        {
            Compare($"grad{k}.after", parameters[k].Grad!, tensors[$"grad{k}.after"], failures);
        }
        return failures;
    }

    /// <summary>Appends a line to <paramref name="failures"/> when <paramref name="got"/> and <paramref name="want"/> differ beyond the float64 tolerance.</summary>
    public static void Compare(string name, Tensor got, Tensor want, List<string> failures, double atol = Atol, double rtol = Rtol)
    {
        ArgumentNullException.ThrowIfNull(got);
        ArgumentNullException.ThrowIfNull(want);
        ArgumentNullException.ThrowIfNull(failures);
        if (got.Numel != want.Numel)
        {
            failures.Add($"{name}: shape {got.Shape}, expected {want.Shape}");
            return;
        }
        var g = got.ToDoubleArray();
        var w = want.ToDoubleArray();
        var worst = -1;
        var worstExcess = 0.0;
        for (var i = 0; i < g.Length; i++)
        {
            var err = Math.Abs(g[i] - w[i]);
            var excess = err - (atol + (rtol * Math.Abs(w[i])));
            if (excess > worstExcess || double.IsNaN(err))
            {
                worst = i;
                worstExcess = double.IsNaN(err) ? double.PositiveInfinity : excess;
            }
        }
        if (worst >= 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"{name}: element {worst} is {g[worst]:R}, expected {w[worst]:R} (|diff| {Math.Abs(g[worst] - w[worst]):E2} > {atol:E0} + {rtol:E0}·|want|)"));
        }
    }
}
