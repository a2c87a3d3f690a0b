using System.Buffers;
using Nno.Core.Environments;
using Nno.Core.Errors;
using Nno.Core.Ids;

namespace Nno.Core.Naming;

/// <summary>
/// Names of the external resources NNO creates for a platform (00-system §8). Cloudflare resources are
/// <c>{platformId}-{stackId}-{service}[-{resourceType}][-stg|-dev]</c>, only <c>[a-z0-9-]</c>, at most 63 characters;
/// <c>prod</c> and <c>local</c> add no suffix. A name that would break the rules is a 400 <c>VALIDATION_ERROR</c>
/// (thrown as <see cref="ApiException"/>), because the parts come from request data such as feature ids.
/// </summary>
public static class ResourceNames
{
    /// <summary>Longest Cloudflare resource name.</summary>
    public const int MaxLength = 63;

    /// <summary>The field named in validation errors unless the caller names another.</summary>
    public const string DefaultField = "cfName";

    private static readonly SearchValues<char> NameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    /// <summary>
    /// A Cloudflare resource name <c>{platformId}-{stackId}-{service}[-{resourceType}][-stg|-dev]</c>.
    /// <paramref name="service"/> and <paramref name="resourceType"/> are segments of <c>[a-z0-9-]</c> without edge hyphens.
    /// </summary>
    public static string Cloudflare(string platformId, string stackId, string service, string? resourceType, NnoEnvironment environment, string field = DefaultField)
    {
        RequireIds(platformId, stackId);
        RequireSegment(service, "service", field);
        if (resourceType is not null)
        {
            RequireSegment(resourceType, "resource type", field);
        }

        var core = resourceType is null ? $"{platformId}-{stackId}-{service}" : $"{platformId}-{stackId}-{service}-{resourceType}";
        if (core.EndsWith("-stg", StringComparison.Ordinal) || core.EndsWith("-dev", StringComparison.Ordinal))
        {
            // Otherwise a prod name could not be told from a stg or dev one (see BelongsTo).
            throw ApiException.Validation(field, "must not end in '-stg' or '-dev': those endings mark the environment");
        }

        return RequireLength(core + environment.ResourceSuffix(), field);
    }

    /// <summary>The platform's auth Worker: <c>{platformId}-default-auth[-stg|-dev]</c>.</summary>
    public static string AuthWorker(string platformId, NnoEnvironment environment) =>
        Cloudflare(platformId, IdFormat.DefaultStackId, "auth", null, environment);

    /// <summary>The platform's auth D1 database: <c>{platformId}-default-auth-db[-stg|-dev]</c>.</summary>
    public static string AuthDatabase(string platformId, NnoEnvironment environment) =>
        Cloudflare(platformId, IdFormat.DefaultStackId, "auth", "db", environment);

    /// <summary>A stack's D1 database: <c>{platformId}-{stackId}-db[-stg|-dev]</c>.</summary>
    public static string StackDatabase(string platformId, string stackId, NnoEnvironment environment) =>
        Cloudflare(platformId, stackId, "db", null, environment);

    /// <summary>A stack's R2 bucket: <c>{platformId}-{stackId}-storage[-stg|-dev]</c>.</summary>
    public static string StackStorage(string platformId, string stackId, NnoEnvironment environment) =>
        Cloudflare(platformId, stackId, "storage", null, environment);

    /// <summary>A stack's KV namespace: <c>{platformId}-{stackId}-kv[-stg|-dev]</c>.</summary>
    public static string StackKv(string platformId, string stackId, NnoEnvironment environment) =>
        Cloudflare(platformId, stackId, "kv", null, environment);

    /// <summary>A stack's queue: <c>{platformId}-{stackId}-queue[-stg|-dev]</c>.</summary>
    public static string StackQueue(string platformId, string stackId, NnoEnvironment environment) =>
        Cloudflare(platformId, stackId, "queue", null, environment);

    /// <summary>A feature Worker: <c>{platformId}-{stackId}-{featureId}[-stg|-dev]</c>; a feature id too long for 63 characters is a 400 naming <paramref name="field"/>.</summary>
    public static string FeatureWorker(string platformId, string stackId, string featureId, NnoEnvironment environment, string field = "featureId") =>
        Cloudflare(platformId, stackId, featureId, null, environment, field);

    /// <summary>The shell Pages project <c>{platformId}-{env}-portal</c> (the environment's name, not a suffix: <c>k3m9p2xw7q-prod-portal</c>).</summary>
    public static string PagesProject(string platformId, NnoEnvironment environment)
    {
        RequireIds(platformId, IdFormat.DefaultStackId);
        return $"{platformId}-{environment.ToName()}-portal";
    }

    /// <summary>The platform's GitHub repository: <c>nno-platform-{platformId}</c>.</summary>
    public static string GitHubRepository(string platformId)
    {
        RequireIds(platformId, IdFormat.DefaultStackId);
        return "nno-platform-" + platformId;
    }

    /// <summary>True for a name Cloudflare resources may carry: <c>^[a-z0-9-]{1,63}$</c>.</summary>
    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength } && !name.AsSpan().ContainsAnyExcept(NameChars);

    /// <summary>
    /// True when a reported <paramref name="cfName"/> belongs to this platform, stack and environment: valid, starts
    /// <c>{platformId}-{stackId}-</c>, ends <c>-stg</c> exactly when the environment is <c>stg</c> and <c>-dev</c> exactly
    /// when it is <c>dev</c>, with a non-empty part between. The shell Pages project is the one name outside this rule
    /// (compare it with <see cref="PagesProject"/>).
    /// </summary>
    public static bool BelongsTo(string? cfName, string platformId, string stackId, NnoEnvironment environment)
    {
        if (!IsValid(cfName))
        {
            return false;
        }

        var prefix = platformId + "-" + stackId + "-";
        if (!cfName!.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = cfName.AsSpan(prefix.Length);
        var suffix = environment.ResourceSuffix();
        foreach (var other in (ReadOnlySpan<string>)["-stg", "-dev"])
        {
            if (other != suffix && rest.EndsWith(other, StringComparison.Ordinal))
            {
                return false;
            }
        }

        if (!rest.EndsWith(suffix, StringComparison.Ordinal))
        {
            return false;
        }

        var middle = rest[..^suffix.Length];
        return !middle.IsEmpty && middle[0] != '-' && middle[^1] != '-';
    }

    private static void RequireIds(string platformId, string stackId)
    {
        if (!IdFormat.IsPlatformId(platformId))
        {
            throw ApiException.Validation("platformId", "must be a 10-character id [a-z0-9]");
        }

        if (!IdFormat.IsStackId(stackId))
        {
            throw ApiException.Validation("stackId", "must be a 10-character id [a-z0-9] or 'default'");
        }
    }

    private static void RequireSegment(string? segment, string what, string field)
    {
        if (string.IsNullOrEmpty(segment) || segment.AsSpan().ContainsAnyExcept(NameChars) || segment[0] == '-' || segment[^1] == '-')
        {
            throw ApiException.Validation(field, $"the {what} part \"{segment}\" must be [a-z0-9-] without a leading or trailing '-'");
        }
    }

    private static string RequireLength(string name, string field) =>
        name.Length <= MaxLength
            ? name
            : throw ApiException.Validation(field, $"makes the resource name \"{name}\" {name.Length} characters long; Cloudflare names are at most {MaxLength}");
}
