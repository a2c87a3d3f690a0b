using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Mail;
using Nno.Iam.Users;
using Nno.ServiceDefaults.RequestContext;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.Notifications;

/// <summary>Body of <c>POST /api/nno/notifications</c> (iam.md §3.5).</summary>
internal sealed record NotificationRequest
{
    public string? PlatformId { get; init; }

    public required string Kind { get; init; }

    /// <summary><c>owners</c>, <c>admins</c> (owners and admins), <c>operators</c> or <c>user</c>.</summary>
    public required string Audience { get; init; }

    /// <summary>The recipient when <see cref="Audience"/> is <c>user</c>.</summary>
    public string? UserId { get; init; }

    /// <summary>A flat object of strings and numbers (at most 2 KiB), shown as text in the kind's fixed email.</summary>
    public required Dictionary<string, JsonElement> Data { get; init; }

    /// <summary>With each recipient's address, unique: repeating it queues nothing.</summary>
    public required string DedupeKey { get; init; }
}

/// <summary>Answer of <c>POST /api/nno/notifications</c>: how many emails were queued (0 for a repeat).</summary>
internal sealed record NotificationQueued(int Queued);

/// <summary>Values of <see cref="NotificationRequest.Audience"/>.</summary>
internal static class NotificationAudiences
{
    public const string Owners = "owners";
    public const string Admins = "admins";
    public const string Operators = "operators";
    public const string User = "user";

    public static IReadOnlyList<string> All { get; } = [Owners, Admins, Operators, User];
}

/// <summary>
/// <c>POST /api/nno/notifications</c> (iam.md §3.5, §4.10): the Registry asks IAM to email the owners, owners and admins,
/// operators, or one user. One <c>email_outbox</c> row per recipient, in one transaction with the audit event.
/// </summary>
internal static partial class NotificationsApi
{
    public const string Path = "/api/nno/notifications";
    public const int MaxDataBytes = 2048;
    public const int MaxDedupeKeyLength = 200;

    public static IEndpointRouteBuilder MapNotifications(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, QueueAsync)
            .WithName("QueueNotification")
            .WithSummary("Queue a notification email to a platform's owners or admins, the operators, or one user (Registry only).")
            .WithTags("Notifications")
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json")
            .ServiceOnly("registry");
        return app;
    }

    private static async Task<Accepted<NotificationQueued>> QueueAsync(
        NotificationRequest request,
        HttpContext context,
        IamDbContext db,
        EmailOutbox outbox,
        AuditLog audit,
        IOptions<IamOptions> iam,
        CancellationToken cancellationToken)
    {
        var principal = context.RequirePrincipal();
        Validate(request);

        // Two identical requests at once: the loser's insert hits the (dedupe_key, to_address) index; run it again and
        // it finds the winner's rows.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var queued = await QueueOnceAsync(request, principal, context, db, outbox, audit, iam.Value, cancellationToken);
                return TypedResults.Accepted((string?)null, new NotificationQueued(queued));
            }
            catch (DbUpdateException ex) when (attempt < 3 && ex.InnerException is SqliteException { SqliteErrorCode: 19 })
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private static async Task<int> QueueOnceAsync(
        NotificationRequest request, NnoPrincipal principal, HttpContext context, IamDbContext db, EmailOutbox outbox, AuditLog audit, IamOptions iam, CancellationToken cancellationToken)
    {
        var recipients = await RecipientsAsync(request, db, cancellationToken);
        var addresses = recipients.Select(r => r.Email).Distinct(StringComparer.Ordinal).ToList();
        var already = await db.EmailOutbox.AsNoTracking()
            .Where(e => e.DedupeKey == request.DedupeKey && addresses.Contains(e.ToAddress))
            .Select(e => e.ToAddress)
            .ToListAsync(cancellationToken);
        var fresh = addresses.Except(already, StringComparer.Ordinal).ToList();
        if (fresh.Count == 0)
        {
            return 0;
        }

        var message = NotificationTemplates.Render(request.Kind, request.PlatformId, request.Data, iam.ConsoleBaseUrl);
        foreach (var address in fresh)
        {
            outbox.Add(address, message, request.DedupeKey);
        }

        audit.Add(new AuditEntry
        {
            Type = AuditEventTypes.NotificationQueued,
            Outcome = "success",
            ActorKind = "service",
            ActorUserId = principal.ActingUserId,
            SubjectUserId = request.Audience == NotificationAudiences.User ? request.UserId : null,
            PlatformId = request.PlatformId,
            RequestId = context.GetRequestIds().RequestId,
            Metadata = new Dictionary<string, object?>
            {
                ["service"] = principal.CallerService,
                ["kind"] = request.Kind,
                ["audience"] = request.Audience,
                ["dedupeKey"] = request.DedupeKey,
                ["queued"] = fresh.Count,
            },
        });
        await db.SaveChangesAsync(cancellationToken);
        return fresh.Count;
    }

    private sealed record Recipient(string UserId, string Email);

    private static async Task<List<Recipient>> RecipientsAsync(NotificationRequest request, IamDbContext db, CancellationToken cancellationToken)
    {
        if (request.PlatformId is { } platformId && !await db.PlatformMembers.AnyAsync(m => m.PlatformId == platformId, cancellationToken))
        {
            throw ApiException.NotFound("platform", "The platform has no members.");
        }

        switch (request.Audience)
        {
            case NotificationAudiences.Owners or NotificationAudiences.Admins:
                var roles = request.Audience == NotificationAudiences.Owners ? new[] { "owner" } : ["owner", "admin"];
                return await db.PlatformMembers.AsNoTracking()
                    .Where(m => m.PlatformId == request.PlatformId && roles.Contains(m.Role))
                    .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => u)
                    .Where(u => u.DisabledAt == null)
                    .OrderBy(u => u.Id)
                    .Select(u => new Recipient(u.Id, u.Email))
                    .ToListAsync(cancellationToken);
            case NotificationAudiences.Operators:
                return await db.Users.AsNoTracking()
                    .Where(u => u.Role == UserRoles.PlatformAdmin && u.DisabledAt == null)
                    .OrderBy(u => u.Id)
                    .Select(u => new Recipient(u.Id, u.Email))
                    .ToListAsync(cancellationToken);
            default:
                var user = await db.Users.AsNoTracking()
                    .Where(u => u.Id == request.UserId && u.DisabledAt == null)
                    .Select(u => new Recipient(u.Id, u.Email))
                    .SingleOrDefaultAsync(cancellationToken);
                return user is null ? throw ApiException.NotFound("user") : [user];
        }
    }

    private static void Validate(NotificationRequest request)
    {
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!NotificationKinds.All.Contains(request.Kind, StringComparer.Ordinal))
        {
            problems["kind"] = ["must be one of " + string.Join(", ", NotificationKinds.All)];
        }

        var audienceKnown = NotificationAudiences.All.Contains(request.Audience, StringComparer.Ordinal);
        if (!audienceKnown)
        {
            problems["audience"] = ["must be one of " + string.Join(", ", NotificationAudiences.All)];
        }

        if (request.PlatformId is not null && !PlatformId().IsMatch(request.PlatformId))
        {
            problems["platformId"] = ["must be a platform id (10 characters a-z, 0-9)"];
        }
        else if (request.PlatformId is null && request.Audience is NotificationAudiences.Owners or NotificationAudiences.Admins)
        {
            problems["platformId"] = ["is required for audience " + request.Audience];
        }

        if (request.Audience == NotificationAudiences.User && string.IsNullOrEmpty(request.UserId))
        {
            problems["userId"] = ["is required for audience user"];
        }
        else if (audienceKnown && request.Audience != NotificationAudiences.User && request.UserId is not null)
        {
            problems["userId"] = ["is only allowed with audience user"];
        }
        else if (request.UserId is { Length: > 64 })
        {
            problems["userId"] = ["must be at most 64 characters"];
        }

        if (request.DedupeKey.Length is 0 or > MaxDedupeKeyLength || request.DedupeKey.Any(char.IsControl))
        {
            problems["dedupeKey"] = [$"must be 1-{MaxDedupeKeyLength} characters without control characters"];
        }

        foreach (var (key, value) in request.Data)
        {
            if (!DataKey().IsMatch(key))
            {
                problems["data." + (key.Length > 64 ? key[..64] : key)] = ["is not a valid key (a letter, then letters, digits or _; at most 64)"];
            }
            else if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                problems["data." + key] = ["must be a string or a number"];
            }
        }

        if (Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(request.Data)) > MaxDataBytes)
        {
            problems["data"] = [$"must be at most {MaxDataBytes} bytes"];
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }
    }

    [GeneratedRegex("^[a-z0-9]{10}$", RegexOptions.CultureInvariant)]
    private static partial Regex PlatformId();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex DataKey();
}
