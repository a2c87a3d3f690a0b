using System.Text.Json;
using Nno.Provisioning.Jobs;

namespace Nno.Provisioning.Steps;

/// <summary>The deterministic Cloudflare names and hostnames of provisioning.md §4.2, from the job's fields.</summary>
internal static class StepNames
{
    public static string Suffix(string? env) => env switch { "stg" => "-stg", "dev" => "-dev", _ => string.Empty };

    public static string AuthWorker(string pid, string env) => $"{pid}-default-auth{Suffix(env)}";

    public static string AuthDatabase(string pid, string env) => $"{pid}-default-auth-db{Suffix(env)}";

    public static string PagesProject(string pid, string env) => $"{pid}-{env}-portal";

    public static string FeatureWorker(string pid, string sid, string fid, string env) => $"{pid}-{sid}-{fid}{Suffix(env)}";

    public static string StackResource(string pid, string sid, string what, string env) => $"{pid}-{sid}-{what}{Suffix(env)}";

    public static string? String(JsonElement payload, string name) =>
        payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static bool Bool(JsonElement payload, string name) =>
        payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
