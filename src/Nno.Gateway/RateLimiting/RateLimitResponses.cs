using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Nno.Core.Errors;
using Nno.Gateway.Forwarding;
using Nno.Gateway.Pipeline;

namespace Nno.Gateway.RateLimiting;

/// <summary>The 429 of gateway.md §4.7, the <c>RateLimit-*</c> headers, and the client key of the per-IP buckets.</summary>
internal static class RateLimitResponses
{
    public const string LimitHeader = "RateLimit-Limit";
    public const string RemainingHeader = "RateLimit-Remaining";
    public const string ResetHeader = "RateLimit-Reset";

    /// <summary>
    /// The key of the client's per-IP buckets: the resolved client address (after trusted-proxy handling), IPv6 reduced
    /// to its /64 so one host cannot rotate through its own subnet.
    /// </summary>
    public static string ClientKey(HttpContext context, GatewayRequest state)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is { AddressFamily: AddressFamily.InterNetworkV6 } && !address.IsIPv4MappedToIPv6)
        {
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out _);
            bytes[8..].Clear();
            return new IPAddress(bytes).ToString() + "/64";
        }

        return state.ClientIp ?? "unknown";
    }

    /// <summary>Writes 429 <c>RATE_LIMITED</c> for <paramref name="result"/> and counts it.</summary>
    public static Task WriteRejectionAsync(HttpContext context, GatewayRequest state, RateLimitResult result, GatewayMetrics metrics)
    {
        state.RateLimit = result;
        var bucket = result.Bucket;
        metrics.RateLimited(bucket.Name);
        return GatewayErrors.WriteAsync(
            context,
            ErrorCodes.RateLimited,
            string.Create(CultureInfo.InvariantCulture, $"Rate limit exceeded; retry in {result.RetryAfterSeconds} s"),
            new { bucket = bucket.Name, limit = bucket.Limit, retryAfterSeconds = result.RetryAfterSeconds },
            retryAfterSeconds: result.RetryAfterSeconds);
    }

    /// <summary>Adds the <c>RateLimit-*</c> headers of <paramref name="result"/> (called as the response starts).</summary>
    public static void AddHeaders(IHeaderDictionary headers, RateLimitResult result)
    {
        headers[LimitHeader] = Number(result.Bucket.Limit);
        headers[RemainingHeader] = Number(result.Remaining);
        headers[ResetHeader] = Number(result.ResetSeconds);
    }

    // Small numbers are the common case (remaining tokens, seconds); their strings are cached.
    private static readonly string[] SmallNumbers = Enumerable.Range(0, 1_024).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    private static string Number(int value) =>
        (uint)value < (uint)SmallNumbers.Length ? SmallNumbers[value] : value.ToString(CultureInfo.InvariantCulture);
}
