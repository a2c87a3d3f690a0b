using System.Text.Json;
using System.Text.RegularExpressions;
using Nno.Core.Errors;
using Nno.Core.Json;
using Nno.Registry.Fields;

namespace Nno.Registry.Objects;

/// <summary>An object's <c>last_error</c> as Provisioning reports it: <c>{code, message, runNumber}</c> (registry.md §2).</summary>
internal sealed record ReportedError
{
    public string? Code { get; init; }

    public string? Message { get; init; }

    public int? RunNumber { get; init; }
}

/// <summary>
/// Field rules for Provisioning's reports (registry.md §6: "validated like user input"): upstream ids and names are
/// checked before storage, and a body is read with the strict wire options (unknown properties → 400).
/// </summary>
internal static partial class ReportRules
{
    public const string JobIdRule = "must be a Provisioning job id (job_ and 20 characters a-z 0-9)";

    public const string CfResourceIdRule = "must be 1–128 characters A-Z a-z 0-9 . _ -";

    public static bool IsJobId(string value) => JobId().IsMatch(value);

    public static bool IsCfResourceId(string value) => CfResourceId().IsMatch(value);

    /// <summary>A Cloudflare custom-hostname id: 1–64 characters <c>[A-Za-z0-9_-]</c>.</summary>
    public static bool IsExternalId(string value) => ExternalId().IsMatch(value);

    /// <summary>The body of a PATCH as an object and the names it carries; not an object → 400.</summary>
    public static HashSet<string> PresentFields(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.Validation("body", "must be a JSON object");
        }

        var present = body.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        return present.Count > 0 ? present : throw ApiException.Validation("body", "must change at least one field");
    }

    /// <summary>Reads <paramref name="body"/> as <typeparamref name="T"/> with the strict wire options (unknown fields → 400).</summary>
    public static T Read<T>(JsonElement body)
        where T : class =>
        body.Deserialize<T>(NnoJson.Options) ?? throw ApiException.Validation("body", "must be a JSON object");

    /// <summary>Checks a reported error and returns its stored JSON (null stays null).</summary>
    public static string? ErrorJson(Dictionary<string, string[]> problems, string field, ReportedError? error)
    {
        if (error is null)
        {
            return null;
        }

        if (error.Code is null || !ErrorCode().IsMatch(error.Code))
        {
            problems[field + ".code"] = ["must be 1–64 characters A-Z a-z 0-9 _"];
        }

        if (FieldRules.ReasonProblem(error.Message) is not null || error.Message!.Length > 1000)
        {
            problems[field + ".message"] = ["must be 1–1000 characters without control or bidi-override characters"];
        }

        if (error.RunNumber is < 1)
        {
            problems[field + ".runNumber"] = ["must be at least 1"];
        }

        return JsonSerializer.Serialize(new { code = error.Code, message = error.Message?.Trim(), runNumber = error.RunNumber }, NnoJson.Options);
    }

    [GeneratedRegex("^job_[a-z0-9]{20}$", RegexOptions.CultureInvariant)]
    private static partial Regex JobId();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex CfResourceId();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ExternalId();

    [GeneratedRegex("^[A-Za-z0-9_]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ErrorCode();
}
