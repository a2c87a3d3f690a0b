using System.Text;
using System.Text.Json;
using Nno.Core.Credentials;
using Nno.Core.Ids;
using Nno.Core.Naming;

namespace Nno.Iam.Organizations;

/// <summary>The field rules of organizations (iam.md §2, §3.4), each returning a problem for <c>details.fields</c> or null.</summary>
internal static class OrganizationRules
{
    public const int MaxNameLength = 100;
    public const int MaxMetadataBytes = 4096;
    public const int MaxLogoLength = 2048;

    /// <summary>A display name: 1–100 characters after trimming, no control characters; stored trimmed and NFC.</summary>
    public static string? NameProblem(string? name)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return "is required";
        }

        if (trimmed.Length > MaxNameLength)
        {
            return $"must be at most {MaxNameLength} characters";
        }

        return trimmed.Any(char.IsControl) ? "must not contain control characters" : null;
    }

    public static string NormalizeName(string name) => UnicodeText.ToNfc(name.Trim());

    public static string? IdProblem(string? id) => IdFormat.IsId(id) ? null : "must be a 10-character id of a-z and 0-9";

    public static string? SlugProblem(string? slug) => Slugs.Problem(slug);

    /// <summary>A logo: an absolute https URL of at most 2048 characters.</summary>
    public static string? LogoProblem(string? logo) =>
        logo is null ? null
        : logo.Length > MaxLogoLength ? $"must be at most {MaxLogoLength} characters"
        : Uri.TryCreate(logo, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps ? null
        : "must be an absolute https URL";

    /// <summary>Metadata: a JSON object of at most 4 KiB (compact UTF-8); null is allowed.</summary>
    public static string? MetadataProblem(JsonElement? metadata)
    {
        if (metadata is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return "must be a JSON object";
        }

        return Encoding.UTF8.GetByteCount(Serialize(value)!) > MaxMetadataBytes ? $"must be at most {MaxMetadataBytes} bytes of JSON" : null;
    }

    /// <summary>The stored form of metadata: compact JSON, or null.</summary>
    public static string? Serialize(JsonElement? metadata) =>
        metadata is { ValueKind: not JsonValueKind.Null } value ? JsonSerializer.Serialize(value) : null;

    public static JsonElement? Parse(string? stored) =>
        stored is null ? null : JsonDocument.Parse(stored).RootElement.Clone();
}
