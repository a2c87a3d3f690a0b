using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Credentials;
using Nno.Core.Environments;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Core.Pagination;
using Nno.Core.Services;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Evictions;
using Nno.Iam.Paging;
using Nno.ServiceDefaults.Hosting;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Security;

namespace Nno.Iam.ApiKeys;

/// <summary>
/// API keys (iam.md §3.5, §4.6): create (shown once), list, read and revoke for signed-in sessions only — an API key can
/// never mint, list or revoke keys — and the gateway's verify call.
/// </summary>
internal static class ApiKeysApi
{
    public const string Path = "/api/nno/apikey";
    public const int MaxNameLength = 100;

    public static IEndpointRouteBuilder MapApiKeys(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("API keys");
        group.MapPost("", CreateAsync)
            .WithName("CreateApiKey")
            .WithSummary("Create an API key bound to one platform (operators may omit it); the key is in this response only.")
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json")
            .WithIdempotency(secretBearing: true);
        group.MapGet("", ListAsync)
            .WithName("ListApiKeys")
            .WithSummary("The caller's keys; a platform owner with platformId sees that platform's keys; operators see every key.")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetApiKey")
            .WithSummary("One key's metadata (creator, owner of its platform, operators).")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapDelete("/{id}", RevokeAsync)
            .WithName("RevokeApiKey")
            .WithSummary("Revoke a key (idempotent); the gateway drops it from its cache.")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json");
        group.MapPost("/verify", VerifyAsync)
            .WithName("VerifyApiKey")
            .WithSummary("The gateway's API-key validation: format, checksum and environment, then the stored key, its owner and their platform role.")
            .Produces<ErrorEnvelope>(StatusCodes.Status400BadRequest, "application/json")
            .ServiceOnly(NnoServices.Gateway);
        return app;
    }

    private static async Task<Created<CreatedApiKey>> CreateAsync(
        CreateApiKeyRequest request,
        HttpContext context,
        IamCallers callers,
        IamDbContext db,
        AuditLog audit,
        TimeProvider time,
        IOptions<ApiKeyOptions> options,
        IOptions<NnoOptions> nno,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var settings = options.Value;
        var name = ValidateName(request.Name);
        var scopes = ApiKeyScopes.Validate(request.Scopes);
        var days = request.ExpiresInDays ?? settings.DefaultExpiresInDays;
        if (days is < 1 or > 365)
        {
            throw ApiException.Validation("expiresInDays", "must be an integer from 1 to 365");
        }

        var platformId = request.PlatformId;
        if (platformId is null)
        {
            if (!caller.IsOperator)
            {
                throw ApiException.Validation("platformId", "is required");
            }
        }
        else
        {
            if (!IdFormat.IsPlatformId(platformId))
            {
                throw ApiException.Validation("platformId", "must be a 10-character platform id");
            }

            // Any platform the caller administers, not only the active one (iam.md §3.5).
            if (!caller.IsOperator)
            {
                switch (caller.RoleOn(platformId))
                {
                    case null:
                        throw ApiException.NotFound("platform");
                    case not ("owner" or "admin"):
                        throw new ApiException(ErrorCodes.Forbidden, "Only owners and admins of the platform can create its API keys.");
                }
            }
        }

        var userId = caller.UserId!;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();

        // The count and the insert share one transaction whose first statement writes (a no-op on the user row), so it
        // holds SQLite's write lock before counting: concurrent creations are serialised and the limit holds exactly.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.UpdatedAt, x => x.UpdatedAt), cancellationToken);
        var live = await db.ApiKeys.CountAsync(k => k.UserId == userId && k.RevokedAt == null && k.ExpiresAt > now, cancellationToken);
        if (live >= settings.MaxLivePerUser)
        {
            throw new ApiException(ErrorCodes.Conflict, $"You already have {settings.MaxLivePerUser} live API keys; revoke one first.", new { reason = "key_limit", limit = settings.MaxLivePerUser });
        }

        var key = ApiKeyFormat.Generate(EnvironmentNames.Parse(nno.Value.Environment));
        var record = new ApiKeyRecord
        {
            Id = IamIds.New("key"),
            UserId = userId,
            PlatformId = platformId,
            Name = name,
            DisplayPrefix = ApiKeyFormat.DisplayPrefix(key),
            KeyHash = ApiKeyFormat.Hash(key),
            Scopes = JsonSerializer.Serialize(scopes),
            MfaVerified = caller.Session!.MfaVerified,
            ExpiresAt = now + (long)TimeSpan.FromDays(days).TotalMilliseconds,
            CreatedAt = now,
        };
        db.ApiKeys.Add(record);
        audit.Add(caller.Audit(AuditEventTypes.ApikeyCreated) with
        {
            SubjectUserId = userId,
            PlatformId = platformId,
            Metadata = new Dictionary<string, object?> { ["keyId"] = record.Id, ["name"] = name, ["displayPrefix"] = record.DisplayPrefix, ["scopes"] = scopes, ["expiresInDays"] = days },
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        // A repeat of the Idempotency-Key answers 409 with this id, never the key again.
        context.SetIdempotencyResourceId(record.Id);
        return TypedResults.Created(
            Path + "/" + record.Id,
            new CreatedApiKey(record.Id, key, record.DisplayPrefix, name, platformId, scopes, DateTimeOffset.FromUnixTimeMilliseconds(record.ExpiresAt), DateTimeOffset.FromUnixTimeMilliseconds(now)));
    }

    private static async Task<Ok<Page<ApiKeyView>>> ListAsync(
        IamCallers callers,
        IamDbContext db,
        IamCursors cursors,
        [FromQuery] string? platformId,
        [FromQuery] string? userId,
        [FromQuery] string? cursor,
        [FromQuery] string? limit,
        [FromQuery] string? includeTotal,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var page = IamCursors.Parse(limit, cursor, includeTotal);
        if (platformId is not null && !IdFormat.IsPlatformId(platformId))
        {
            throw ApiException.Validation("platformId", "must be a 10-character platform id");
        }

        IQueryable<ApiKeyRecord> keys = db.ApiKeys.AsNoTracking();
        if (caller.IsOperator)
        {
            keys = userId is null ? keys : keys.Where(k => k.UserId == userId);
            keys = platformId is null ? keys : keys.Where(k => k.PlatformId == platformId);
        }
        else
        {
            if (userId is not null && userId != caller.UserId)
            {
                throw new ApiException(ErrorCodes.Forbidden, "Only operators can list another user's keys.");
            }

            var self = caller.UserId!;
            if (platformId is null)
            {
                keys = keys.Where(k => k.UserId == self);
            }
            else
            {
                var role = caller.RoleOn(platformId) ?? throw ApiException.NotFound("platform");
                keys = role == "owner" && userId is null
                    ? keys.Where(k => k.PlatformId == platformId)
                    : keys.Where(k => k.PlatformId == platformId && k.UserId == self);
            }
        }

        // The scope binds the cursor to the caller and filters: another caller's or another filter's cursor is a 400.
        var pager = cursors.Pager("apikeys", ("caller", caller.UserId), ("platformId", platformId), ("userId", userId));
        var total = page.IncludeTotal ? await keys.CountAsync(cancellationToken) : (int?)null;
        if (pager.After(page) is { } after)
        {
            var (createdAt, id) = (after.Expect(2).GetInt64(0), after.GetString(1));
            keys = keys.Where(k => k.CreatedAt < createdAt || (k.CreatedAt == createdAt && string.Compare(k.Id, id) < 0));
        }

        var rows = await keys.OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id).Take(page.FetchCount).ToListAsync(cancellationToken);
        return TypedResults.Ok(pager.ToPage(rows, page, k => CursorPosition.Of(k.CreatedAt, k.Id), ApiKeyView.From, total));
    }

    private static async Task<Ok<ApiKeyView>> GetAsync(string id, IamCallers callers, IamDbContext db, CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var key = await FindVisibleAsync(db.ApiKeys.AsNoTracking(), id, caller, cancellationToken);
        return TypedResults.Ok(ApiKeyView.From(key));
    }

    private static async Task<NoContent> RevokeAsync(
        string id,
        IamCallers callers,
        IamDbContext db,
        AuditLog audit,
        IamEvictions evictions,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var key = await FindVisibleAsync(db.ApiKeys, id, caller, cancellationToken);
        if (key.RevokedAt is null)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var revoked = await db.ApiKeys.Where(k => k.Id == key.Id && k.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, now).SetProperty(k => k.RevokedBy, caller.UserId), cancellationToken);
            if (revoked == 1)
            {
                audit.Add(caller.Audit(AuditEventTypes.ApikeyRevoked) with
                {
                    SubjectUserId = key.UserId,
                    PlatformId = key.PlatformId,
                    Metadata = new Dictionary<string, object?> { ["keyId"] = key.Id, ["name"] = key.Name, ["displayPrefix"] = key.DisplayPrefix },
                });
                await db.SaveChangesAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // Also for an already revoked key: a repeat must still clear whatever a gateway may hold.
        evictions.ApiKey(key.Id);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<VerifyApiKeyResponse>> VerifyAsync(
        VerifyApiKeyRequest request,
        IamCallers callers,
        ApiKeyVerifier verifier,
        CancellationToken cancellationToken)
    {
        var caller = await callers.GetAsync(cancellationToken);
        if (request.Key.Length > 256)
        {
            throw ApiException.Validation("key", "must be at most 256 characters");
        }

        return TypedResults.Ok(await verifier.VerifyAsync(request.Key, caller.Ip, cancellationToken));
    }

    /// <summary>The key when the caller is its creator, the owner of its platform or an operator; else 404 <c>apikey</c>.</summary>
    private static async Task<ApiKeyRecord> FindVisibleAsync(IQueryable<ApiKeyRecord> keys, string id, IamCaller caller, CancellationToken cancellationToken)
    {
        var key = await keys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        var visible = key is not null
            && (caller.IsOperator || key.UserId == caller.UserId || (key.PlatformId is { } pid && caller.RoleOn(pid) == "owner"));
        return visible ? key! : throw ApiException.NotFound("apikey");
    }

    private static string ValidateName(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length is 0 or > MaxNameLength)
        {
            throw ApiException.Validation("name", $"must be 1–{MaxNameLength} characters");
        }

        if (trimmed.Any(char.IsControl))
        {
            throw ApiException.Validation("name", "must not contain control characters");
        }

        return UnicodeText.ToNfc(trimmed);
    }
}
