using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nno.Provisioning.Steps.Common;

/// <summary>Typed reads and writes of a step's <c>output_json</c> (cursors, previous versions, ids of a multi-resource step).</summary>
internal static class StepOutputs
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static T? Read<T>(StepContext context, string key) where T : class =>
        context.Output[key] is { } node ? node.Deserialize<T>(Json) : null;

    public static void Write<T>(StepContext context, string key, T value) => context.Output[key] = JsonSerializer.SerializeToNode(value, Json);

    public static string? String(StepContext context, string key) =>
        context.Output[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static bool Flag(StepContext context, string key) =>
        context.Output[key] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;

    public static int Int(StepContext context, string key) =>
        context.Output[key] is JsonValue value && value.TryGetValue<int>(out var number) ? number : 0;

    /// <summary>Reads a flag of a step row that is not running (the rollback's skip decision).</summary>
    public static bool Flag(string outputJson, string key)
    {
        try
        {
            return JsonNode.Parse(outputJson) is JsonObject obj && obj[key] is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The output flag that makes an uncreated step's undo run (<see cref="IJobSteps.UndoesUncreated"/>).</summary>
    public const string UndoNeeded = "undoNeeded";
}
