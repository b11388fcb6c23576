using System.Globalization;
using System.Text.Json;
using Sequin.Optim;
using Sequin.Tensors;

namespace Sequin.Verification;

/// <summary>Helpers for the training-related golden kinds (<c>optim</c>, <c>clip</c>, <c>lm</c>).</summary>
public static class TrainingCases
{
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
}
