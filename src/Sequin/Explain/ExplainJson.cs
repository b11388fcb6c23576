using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sequin.Explain;

/// <summary>Source-generated System.Text.Json metadata for <see cref="Explanation"/> (AOT- and trimming-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(Explanation))]
internal sealed partial class ExplainJsonContext : JsonSerializerContext;

/// <summary>JSON form of an <see cref="Explanation"/> (<c>sequin explain --json</c>), snake_case like PyTorch's names.</summary>
public static class ExplainJson
{
    /// <summary>Serializes <paramref name="explanation"/> as indented JSON.</summary>
    public static string Serialize(Explanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        return JsonSerializer.Serialize(explanation, ExplainJsonContext.Default.Explanation);
    }

    /// <summary>Reads an explanation back from <see cref="Serialize"/>'s JSON.</summary>
    /// <exception cref="JsonException">The text is not an explanation.</exception>
    public static Explanation Deserialize(string json) =>
        JsonSerializer.Deserialize(json, ExplainJsonContext.Default.Explanation)
        ?? throw new JsonException("explain: the JSON document is null, expected an explanation object.");
}
