using System.Text.Json.Nodes;

namespace Nno.Provisioning.Steps.Common;

/// <summary>
/// A step that changed a resource it did not create (an upgrade: a Worker re-uploaded with a new version) sets
/// <c>"undoRequired": true</c> in its <c>output_json</c>, so the rollback calls its undo (re-upload the previous version)
/// even though <c>created_by_job = 0</c>; the undo still never deletes what the job did not create.
/// </summary>
internal static class UndoMarker
{
    public const string Key = "undoRequired";

    /// <summary>Whether the step's <c>output_json</c> asks for its undo.</summary>
    public static bool IsSet(string outputJson) =>
        !string.IsNullOrEmpty(outputJson) && outputJson.Contains("\"" + Key + "\"", StringComparison.Ordinal)
        && JsonNode.Parse(outputJson) is JsonObject output && output[Key] is JsonValue value && value.TryGetValue<bool>(out var set) && set;
}
