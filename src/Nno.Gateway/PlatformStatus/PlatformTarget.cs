namespace Nno.Gateway.PlatformStatus;

/// <summary>
/// The target platform of gateway.md §4.6: the platform a request names in its path. Only two routes name one:
/// <c>/api/v1/platforms/{pid}</c> and <c>/api/v1/cli/{pid}</c>, each exactly or followed by <c>/…</c>, where the
/// segment matches <c>^[a-z0-9]{10}$</c>. Every other route has no target (and no status check). Query strings and
/// bodies are never looked at. Plain span code, no regex per request.
/// </summary>
internal static class PlatformTarget
{
    /// <summary>The Registry's platform routes.</summary>
    public const string PlatformsPrefix = "/api/v1/platforms/";

    /// <summary>The CLI service's per-platform routes.</summary>
    public const string CliPrefix = "/api/v1/cli/";

    /// <summary>Length of a platform id.</summary>
    public const int IdLength = 10;

    /// <summary>The target platform id in <paramref name="path"/> (the decoded request path), or null.</summary>
    public static string? Find(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var start = path.StartsWith(PlatformsPrefix, StringComparison.Ordinal) ? PlatformsPrefix.Length
            : path.StartsWith(CliPrefix, StringComparison.Ordinal) ? CliPrefix.Length
            : -1;
        if (start < 0 || !IsIdAt(path, start))
        {
            return null;
        }

        return path.Substring(start, IdLength);
    }

    /// <summary>
    /// What a path with a target (<see cref="Find"/> not null) addresses, for the exemptions of §4.6: the platform
    /// record itself (exactly <c>/api/v1/platforms/{pid}</c>), its <c>cancel</c> or <c>delete</c> action (exact
    /// paths), or anything else (including every <c>/api/v1/cli/{pid}…</c> path).
    /// </summary>
    public static TargetPath Classify(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith(PlatformsPrefix, StringComparison.Ordinal) || path.Length < PlatformsPrefix.Length + IdLength)
        {
            return TargetPath.Other;
        }

        var rest = path.AsSpan(PlatformsPrefix.Length + IdLength);
        return rest.IsEmpty ? TargetPath.Record
            : rest.SequenceEqual("/cancel") ? TargetPath.Cancel
            : rest.SequenceEqual("/delete") ? TargetPath.Delete
            : TargetPath.Other;
    }

    /// <summary>True when a platform id starts at <paramref name="start"/> and ends the path or a segment.</summary>
    private static bool IsIdAt(string path, int start)
    {
        var end = start + IdLength;
        if (path.Length < end || (path.Length > end && path[end] != '/'))
        {
            return false;
        }

        foreach (var c in path.AsSpan(start, IdLength))
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>What a request with a target platform addresses (<see cref="PlatformTarget.Classify"/>).</summary>
internal enum TargetPath
{
    /// <summary>Any other path below the platform.</summary>
    Other,

    /// <summary>Exactly <c>/api/v1/platforms/{pid}</c>: the platform record.</summary>
    Record,

    /// <summary>Exactly <c>/api/v1/platforms/{pid}/cancel</c>.</summary>
    Cancel,

    /// <summary>Exactly <c>/api/v1/platforms/{pid}/delete</c>.</summary>
    Delete,
}
