using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.Iam.Data;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Mail;

/// <summary>One message of the dev mailbox (iam.md §3.7); <see cref="Links"/> are the http(s) URLs of the text body, in order.</summary>
internal sealed record DevMailboxMessage(string Id, string To, string Subject, string Text, string Html, IReadOnlyList<string> Links, DateTimeOffset CreatedAt);

/// <summary>
/// Signs the dev mailbox's cursors. The key is made per process: the mailbox exists only with the <c>mailbox</c> provider
/// (local/dev, one IAM process), so a cursor never needs to outlive it.
/// </summary>
internal sealed class DevMailboxCursors
{
    public CursorCodec Codec { get; } = new(RandomNumberGenerator.GetBytes(32));
}

/// <summary>
/// <c>GET</c> and <c>DELETE /api/dev/mailbox</c> (iam.md §3.7): what the <c>mailbox</c> provider kept, for operators (the
/// static key included), the console and tests. With any other provider the mailbox does not exist (404).
/// </summary>
internal static partial class DevMailboxApi
{
    public const string Path = "/api/dev/mailbox";

    public static IEndpointRouteBuilder MapDevMailbox(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Dev mailbox");
        group.MapGet(string.Empty, ListAsync)
            .WithName("ListDevMailbox")
            .WithSummary("List the emails the mailbox provider kept, newest first (operators; local/dev only).")
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapDelete(string.Empty, ClearAsync)
            .WithName("ClearDevMailbox")
            .WithSummary("Delete every email of the dev mailbox (operators; local/dev only).")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        return app;
    }

    private static async Task<Ok<Page<DevMailboxMessage>>> ListAsync(
        HttpContext context,
        IOptions<EmailOptions> options,
        DevMailboxCursors cursors,
        IamDbContext db,
        [FromQuery] string? to,
        [FromQuery] string? cursor,
        [FromQuery] string? limit,
        [FromQuery] string? includeTotal,
        CancellationToken cancellationToken)
    {
        Authorize(context, options.Value);
        var page = PageRequest.Parse(limit, cursor, includeTotal);
        var normalized = to is null ? null : EmailAddress.Parse(to, "to").Normalized;
        var pager = new KeysetPager(cursors.Codec, CursorScope.For("iam:dev-mailbox", ("to", normalized)));
        var after = pager.After(page)?.Expect(2);

        var query = db.DevMailbox.AsNoTracking();
        if (normalized is not null)
        {
            query = query.Where(m => m.ToNormalized == normalized);
        }

        int? total = page.IncludeTotal ? await query.CountAsync(cancellationToken) : null;
        if (after is not null)
        {
            var createdAt = after.GetInt64(0);
            var id = after.GetString(1);
            query = query.Where(m => m.CreatedAt < createdAt || (m.CreatedAt == createdAt && string.Compare(m.Id, id) < 0));
        }

        var rows = await query.OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id).Take(page.FetchCount).ToListAsync(cancellationToken);
        return TypedResults.Ok(pager.ToPage(
            rows,
            page,
            m => CursorPosition.Of(m.CreatedAt, m.Id),
            m => new DevMailboxMessage(m.Id, m.ToNormalized, m.Subject, m.TextBody, m.HtmlBody, Links(m.TextBody), DateTimeOffset.FromUnixTimeMilliseconds(m.CreatedAt)),
            total));
    }

    private static async Task<NoContent> ClearAsync(HttpContext context, IOptions<EmailOptions> options, IamDbContext db, CancellationToken cancellationToken)
    {
        Authorize(context, options.Value);
        await db.DevMailbox.ExecuteDeleteAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static void Authorize(HttpContext context, EmailOptions options)
    {
        if (options.Provider != EmailProviders.Mailbox)
        {
            throw ApiException.NotFound("mailbox", "There is no dev mailbox: email is delivered by the " + options.Provider + " provider.");
        }

        context.RequireOperator();
    }

    /// <summary>The distinct http(s) URLs of <paramref name="text"/>, in order, without trailing sentence punctuation.</summary>
    internal static IReadOnlyList<string> Links(string text)
    {
        var links = new List<string>();
        foreach (Match match in UrlPattern().Matches(text))
        {
            var url = match.Value.TrimEnd('.', ',', ';', ':', '!', '?');
            if (!links.Contains(url, StringComparer.Ordinal))
            {
                links.Add(url);
            }
        }

        return links;
    }

    [GeneratedRegex(@"https?://[^\s<>""'()\[\]{}]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlPattern();
}
