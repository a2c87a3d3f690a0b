using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Nno.Iam.Sessions;
using Nno.Iam.Tests.Support;
using OtpNet;

namespace Nno.Iam.Tests.Auth;

/// <summary>The calls the auth tests make again and again, through IAM exactly as the gateway forwards them.</summary>
internal static partial class AuthTestExtensions
{
    /// <summary>A 20-character password that passes the policy.</summary>
    public const string StrongPassword = "vq8#Lm2!xR7pT4wz9Kd0";

    public static async Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body) =>
        await client.PostAsJsonAsync(path, body);

    /// <summary>Signs up through the API and returns the response body (<c>{token, user}</c>).</summary>
    public static async Task<JsonElement> SignUpAsync(this IamHost iam, string email, string password = StrongPassword, string name = "Alice")
    {
        using var client = iam.Anonymous();
        using var response = await client.PostJsonAsync("/api/auth/sign-up/email", new { email, password, name });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    public static async Task<HttpResponseMessage> SignInAsync(this IamHost iam, string email, string password, string clientIp = "127.0.0.1")
    {
        using var client = iam.Anonymous(clientIp);
        return await client.PostJsonAsync("/api/auth/sign-in/email", new { email, password });
    }

    /// <summary>
    /// The token of the newest unspent emailed link to <paramref name="to"/> (read from the outbox, or the dev mailbox once delivered; links
    /// queued within the same fake millisecond are told apart by whether their verification row was consumed).
    /// </summary>
    public static async Task<string> LatestLinkTokenAsync(this IamHost iam, string to, string template = "magic-link")
    {
        var bodies = await iam.MailTextsAsync(q => q.Where(m => m.ToAddress == to && m.Template == template).OrderByDescending(m => m.CreatedAt));
        var tokens = bodies.Select(b => LinkToken().Match(b).Groups[1].Value).ToList();
        foreach (var token in tokens)
        {
            var hash = OpaqueTokens.Hash(token);
            if (await iam.DbAsync(db => db.Verifications.AnyAsync(v => v.TokenHash == hash && v.ConsumedAt == null)))
            {
                return token;
            }
        }

        return tokens[0];
    }

    public static Task<int> OutboxCountAsync(this IamHost iam, string to, string? template = null) =>
        iam.DbAsync(db => db.EmailOutbox.CountAsync(m => m.ToAddress == to && (template == null || m.Template == template)));

    public static Task<int> AuditCountAsync(this IamHost iam, string type, string? subjectUserId = null) =>
        iam.DbAsync(db => db.AuditEvents.CountAsync(e => e.Type == type && (subjectUserId == null || e.SubjectUserId == subjectUserId)));

    /// <summary>Follows a link as the console's server does; returns the response.</summary>
    public static async Task<HttpResponseMessage> VerifyLinkAsync(this IamHost iam, string token, string? callbackUrl = null)
    {
        using var client = iam.Anonymous();
        var path = "/api/auth/magic-link/verify?token=" + Uri.EscapeDataString(token)
            + (callbackUrl is null ? "" : "&callbackURL=" + Uri.EscapeDataString(callbackUrl));
        return await client.GetAsync(path);
    }

    /// <summary>The TOTP code of <paramref name="base32Secret"/> at the fake clock's time, <paramref name="steps"/> 30 s steps away.</summary>
    public static string Totp(this IamHost iam, string base32Secret, int steps = 0) =>
        new Totp(Base32Encoding.ToBytes(base32Secret)).ComputeTotp(iam.Time.GetUtcNow().UtcDateTime.AddSeconds(30 * steps));

    [GeneratedRegex("token=([A-Za-z0-9_-]{43})")]
    private static partial Regex LinkToken();
}
