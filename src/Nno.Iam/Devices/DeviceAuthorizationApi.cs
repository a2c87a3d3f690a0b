using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Core.Json;
using Nno.Iam.Access;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Passwords;
using Nno.Iam.Sessions;
using Nno.Iam.Users;
using Nno.ServiceDefaults.Limits;

namespace Nno.Iam.Devices;

/// <summary>
/// The OAuth 2.0 device authorization grant (RFC 8628; iam.md §3.6, §4.9) that <c>nno login</c> uses: the CLI asks
/// for a code and polls; the user approves it in the console with a fresh session (or their password); exactly one
/// poll then receives a new <c>device</c> session owned by the approver. Device codes are never bearer tokens.
/// </summary>
internal static class DeviceAuthorizationApi
{
    public const string Path = "/api/oauth/device";
    public const string DeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code";

    /// <summary>iam.md §6: bodies over 64 KiB on <c>/api/oauth/*</c> → 413.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapDeviceAuthorization(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Device authorization").WithRequestBodyLimit(MaxBodyBytes);
        group.MapPost("/code", CodeAsync)
            .WithName("StartDeviceAuthorization")
            .WithSummary("RFC 8628 device authorization request: a device code for the client and a user code for the person.")
            .Accepts<Dictionary<string, string>>("application/x-www-form-urlencoded", "application/json")
            .Produces<DeviceCodeResponse>()
            .Produces<OAuthErrorBody>(StatusCodes.Status400BadRequest);
        group.MapPost("/token", TokenAsync)
            .WithName("PollDeviceToken")
            .WithSummary("RFC 8628 device access token request: pending, slow down, denied, expired, or (once) the session token.")
            .Accepts<Dictionary<string, string>>("application/x-www-form-urlencoded", "application/json")
            .Produces<DeviceTokenResponse>()
            .Produces<OAuthErrorBody>(StatusCodes.Status400BadRequest);
        group.MapGet("", LookupAsync)
            .WithName("GetDeviceAuthorization")
            .WithSummary("The pending device authorization of a user code, for the console's approval page.")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status429TooManyRequests, "application/json");
        group.MapPost("/approve", ApproveAsync)
            .WithName("ApproveDeviceAuthorization")
            .WithSummary("Approve a device: needs a session younger than 15 minutes or the user's password.")
            .Produces<ErrorEnvelope>(StatusCodes.Status401Unauthorized, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        group.MapPost("/deny", DenyAsync)
            .WithName("DenyDeviceAuthorization")
            .WithSummary("Deny a device authorization.")
            .Produces<ErrorEnvelope>(StatusCodes.Status404NotFound, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        return app;
    }

    private static async Task<IResult> CodeAsync(
        HttpContext context,
        IamCallers callers,
        IamDbContext db,
        TimeProvider time,
        IOptions<DeviceOptions> options,
        IOptions<IamOptions> iam,
        CancellationToken cancellationToken)
    {
        try
        {
            var caller = await callers.GetAsync(cancellationToken);
            var settings = options.Value;
            var parameters = await OAuthParameters.ReadAsync(context.Request, ["client_id", "scope"], cancellationToken);
            var clientId = parameters["client_id"] ?? throw new OAuthException(OAuthErrors.InvalidRequest, "client_id is required.");
            if (!settings.ClientIds.Contains(clientId, StringComparer.Ordinal))
            {
                throw new OAuthException(OAuthErrors.InvalidClient, "Unknown client_id.");
            }

            var scope = parameters["scope"];
            if (scope is { Length: > 200 })
            {
                throw new OAuthException(OAuthErrors.InvalidRequest, "scope is too long (at most 200 characters).");
            }

            var deviceCode = OpaqueTokens.New();
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var record = new DeviceCodeRecord
            {
                Id = IamIds.New("dev"),
                DeviceCodeHash = OpaqueTokens.Hash(deviceCode),
                UserCode = UserCodes.New(),
                ClientId = clientId,
                Scope = scope,
                Status = DeviceStatuses.Pending,
                IntervalSeconds = settings.IntervalSeconds,
                ExpiresAt = now + (long)settings.CodeLifetime.TotalMilliseconds,
                RequesterIp = caller.Ip ?? "unknown",
                RequesterUserAgent = caller.UserAgent is { Length: > 512 } ua ? ua[..512] : caller.UserAgent ?? "",
                CreatedAt = now,
            };

            // A user code is unique among live codes; on a clash (20^4·10^4 codes, so rare) draw another.
            for (var attempt = 1; ; attempt++)
            {
                var code = record.UserCode;
                var taken = await db.DeviceCodes.AnyAsync(d => d.UserCode == code && (d.Status == DeviceStatuses.Pending || d.Status == DeviceStatuses.Approved), cancellationToken);
                if (!taken)
                {
                    db.DeviceCodes.Add(record);
                    try
                    {
                        await db.SaveChangesAsync(cancellationToken);
                        break;
                    }
                    catch (DbUpdateException ex) when (ConstraintViolations.IsUniqueViolation(ex) && attempt < 5)
                    {
                        db.Entry(record).State = EntityState.Detached;
                    }
                }

                record.UserCode = UserCodes.New();
            }

            var verification = iam.Value.ConsoleBaseUrl.TrimEnd('/') + "/activate";
            var display = UserCodes.Display(record.UserCode);
            return NoStore(context, TypedResults.Json(
                new DeviceCodeResponse(deviceCode, display, verification, verification + "?user_code=" + display, (int)settings.CodeLifetime.TotalSeconds, record.IntervalSeconds),
                NnoJson.Options));
        }
        catch (OAuthException ex)
        {
            return Error(context, ex);
        }
    }

    private static async Task<IResult> TokenAsync(
        HttpContext context,
        IamCallers callers,
        IamDbContext db,
        SessionStore sessions,
        AuditLog audit,
        TimeProvider time,
        IOptions<DeviceOptions> options,
        IOptions<Sessions.SessionOptions> sessionOptions,
        CancellationToken cancellationToken)
    {
        try
        {
            var caller = await callers.GetAsync(cancellationToken);
            var settings = options.Value;
            var parameters = await OAuthParameters.ReadAsync(context.Request, ["grant_type", "device_code", "client_id"], cancellationToken);
            var grantType = parameters["grant_type"] ?? throw new OAuthException(OAuthErrors.InvalidRequest, "grant_type is required.");
            if (grantType != DeviceCodeGrantType)
            {
                throw new OAuthException(OAuthErrors.UnsupportedGrantType, "Only the device_code grant is supported here.");
            }

            var deviceCode = parameters["device_code"] ?? throw new OAuthException(OAuthErrors.InvalidRequest, "device_code is required.");
            var clientId = parameters["client_id"] ?? throw new OAuthException(OAuthErrors.InvalidRequest, "client_id is required.");
            if (!settings.ClientIds.Contains(clientId, StringComparer.Ordinal))
            {
                throw new OAuthException(OAuthErrors.InvalidClient, "Unknown client_id.");
            }

            var hash = OpaqueTokens.LooksValid(deviceCode) ? OpaqueTokens.Hash(deviceCode) : null;
            var row = hash is null ? null : await db.DeviceCodes.AsNoTracking().FirstOrDefaultAsync(d => d.DeviceCodeHash == hash, cancellationToken);
            if (row is null || row.ClientId != clientId)
            {
                throw new OAuthException(OAuthErrors.InvalidGrant, "The device code is unknown.");
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var live = row.Status is DeviceStatuses.Pending or DeviceStatuses.Approved;
            if (live && now >= row.ExpiresAt)
            {
                await db.DeviceCodes.Where(d => d.Id == row.Id && (d.Status == DeviceStatuses.Pending || d.Status == DeviceStatuses.Approved))
                    .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeviceStatuses.Expired).SetProperty(d => d.LastPolledAt, now), cancellationToken);
                throw new OAuthException(OAuthErrors.ExpiredToken, "The device code has expired; start again.");
            }

            // Polling faster than the interval: slow down, and the interval grows (RFC 8628 §3.5).
            if (live && row.LastPolledAt is { } last && now < last + (row.IntervalSeconds * 1000L))
            {
                var interval = Math.Min(row.IntervalSeconds + settings.SlowDownStepSeconds, settings.MaxIntervalSeconds);
                await db.DeviceCodes.Where(d => d.Id == row.Id)
                    .ExecuteUpdateAsync(u => u.SetProperty(d => d.IntervalSeconds, interval).SetProperty(d => d.LastPolledAt, now), cancellationToken);
                throw new OAuthException(OAuthErrors.SlowDown, $"Polling too fast; wait {interval} seconds between polls.");
            }

            await db.DeviceCodes.Where(d => d.Id == row.Id).ExecuteUpdateAsync(u => u.SetProperty(d => d.LastPolledAt, now), cancellationToken);
            switch (row.Status)
            {
                case DeviceStatuses.Pending:
                    throw new OAuthException(OAuthErrors.AuthorizationPending, "The user has not approved the device yet.");
                case DeviceStatuses.Denied:
                    throw new OAuthException(OAuthErrors.AccessDenied, "The user denied the device.");
                case DeviceStatuses.Expired:
                    throw new OAuthException(OAuthErrors.ExpiredToken, "The device code has expired; start again.");
                case DeviceStatuses.Approved:
                    break;
                default:
                    throw new OAuthException(OAuthErrors.InvalidGrant, "The device code was already used.");
            }

            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

            // approved → consumed is conditional: of simultaneous polls exactly one gets here with a row changed.
            var consumed = await db.DeviceCodes.Where(d => d.Id == row.Id && d.Status == DeviceStatuses.Approved)
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeviceStatuses.Consumed), cancellationToken);
            if (consumed != 1)
            {
                throw new OAuthException(OAuthErrors.InvalidGrant, "The device code was already used.");
            }

            var approver = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == row.UserId && u.DisabledAt == null, cancellationToken);
            if (approver is null)
            {
                await transaction.CommitAsync(cancellationToken);
                throw new OAuthException(OAuthErrors.AccessDenied, "The approving account is no longer active.");
            }

            // Until consumed, session_id holds the approving session: the device session inherits its second-factor state.
            var approverMfa = row.SessionId is { } approving
                && await db.Sessions.AnyAsync(s => s.Id == approving && s.MfaVerified, cancellationToken);
            var kind = approver.Role == UserRoles.PlatformAdmin ? SessionKind.OperatorDevice : SessionKind.Device;
            var issued = await sessions.CreateAsync(approver.Id, new NewSession
            {
                AuthMethod = AuthMethods.Device,
                Kind = kind,
                MfaVerified = approverMfa,
                ClientId = clientId,
                IpAddress = caller.Ip,
                UserAgent = caller.UserAgent,
            }, cancellationToken);
            audit.Add(caller.Audit(AuditEventTypes.DeviceTokenIssued) with
            {
                SubjectUserId = approver.Id,
                Metadata = new Dictionary<string, object?> { ["deviceCodeId"] = row.Id, ["clientId"] = clientId, ["sessionId"] = issued.Session.Id },
            });
            await db.SaveChangesAsync(cancellationToken);
            await db.DeviceCodes.Where(d => d.Id == row.Id).ExecuteUpdateAsync(u => u.SetProperty(d => d.SessionId, issued.Session.Id), cancellationToken);
            await transaction.CommitAsync(cancellationToken);

            var (idle, _) = sessionOptions.Value.LifetimesOf(kind);
            return NoStore(context, TypedResults.Json(new DeviceTokenResponse(issued.Token, "Bearer", (long)idle.TotalSeconds, null, row.Scope), NnoJson.Options));
        }
        catch (OAuthException ex)
        {
            return Error(context, ex);
        }
    }

    private static async Task<Ok<DeviceAuthorizationView>> LookupAsync(
        [FromQuery(Name = "user_code")] string? userCode,
        IamCallers callers,
        IamDbContext db,
        DeviceLookupLimiter limiter,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = await callers.RequireSessionAsync(cancellationToken);
        ThrowIfLimited(limiter, caller.UserId!);
        if (userCode is null)
        {
            throw ApiException.Validation("user_code", "is required");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var code = UserCodes.Normalize(userCode);
        var row = code is null ? null : await db.DeviceCodes.AsNoTracking()
            .FirstOrDefaultAsync(d => d.UserCode == code && d.Status == DeviceStatuses.Pending && d.ExpiresAt > now, cancellationToken);
        if (row is null)
        {
            limiter.RecordMiss(caller.UserId!);
            throw ApiException.NotFound("device_code", "No pending device authorization has this code.");
        }

        return TypedResults.Ok(DeviceAuthorizationView.From(row));
    }

    private static Task<Ok<DeviceDecisionResponse>> ApproveAsync(DeviceDecisionRequest request, DeviceDecisions decisions, CancellationToken cancellationToken) =>
        decisions.DecideAsync(request, approve: true, cancellationToken);

    private static Task<Ok<DeviceDecisionResponse>> DenyAsync(DeviceDecisionRequest request, DeviceDecisions decisions, CancellationToken cancellationToken) =>
        decisions.DecideAsync(request, approve: false, cancellationToken);

    internal static void ThrowIfLimited(DeviceLookupLimiter limiter, string userId)
    {
        if (limiter.IsBlocked(userId, out var retryAfter))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            var limited = new ApiException(ErrorCodes.RateLimited, "Too many unknown user codes; wait before trying again.", new { retryAfterSeconds = seconds });
            limited.Headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
            throw limited;
        }
    }

    private static IResult NoStore(HttpContext context, IResult result)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        return result;
    }

    private static IResult Error(HttpContext context, OAuthException exception) =>
        NoStore(context, TypedResults.Json(new OAuthErrorBody(exception.Error, exception.Message), NnoJson.Options, statusCode: StatusCodes.Status400BadRequest));
}

/// <summary>Approving and denying a device authorization (iam.md §3.6, §4.9).</summary>
internal sealed class DeviceDecisions(
    IamCallers callers,
    IamDbContext db,
    AuditLog audit,
    PasswordHashing hashing,
    DeviceLookupLimiter limiter,
    TimeProvider time,
    IOptions<DeviceOptions> options)
{
    public async Task<Ok<DeviceDecisionResponse>> DecideAsync(DeviceDecisionRequest request, bool approve, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = await callers.RequireSessionAsync(cancellationToken);
        var userId = caller.UserId!;
        DeviceAuthorizationApi.ThrowIfLimited(limiter, userId);
        var code = UserCodes.Normalize(request.UserCode);
        if (code is null)
        {
            limiter.RecordMiss(userId);
            throw ApiException.Validation("userCode", "must look like BCDF-4821");
        }

        if (request.Password is { Length: > PasswordPolicy.MaxLength * 4 })
        {
            throw ApiException.Validation("password", "is too long");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = await db.DeviceCodes.AsNoTracking().Where(d => d.UserCode == code).OrderByDescending(d => d.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (row is null || row.Status == DeviceStatuses.Expired || (row.Status == DeviceStatuses.Pending && row.ExpiresAt <= now))
        {
            limiter.RecordMiss(userId);
            throw ApiException.NotFound("device_code", "No pending device authorization has this code.");
        }

        if (row.Status != DeviceStatuses.Pending)
        {
            throw new ApiException(ErrorCodes.Conflict, "This device authorization was already decided.", new { reason = "already_decided", status = row.Status });
        }

        if (approve)
        {
            await RequirePresenceAsync(caller, request.Password, now, cancellationToken);
        }

        var status = approve ? DeviceStatuses.Approved : DeviceStatuses.Denied;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var decided = await db.DeviceCodes.Where(d => d.Id == row.Id && d.Status == DeviceStatuses.Pending && d.ExpiresAt > now)
            .ExecuteUpdateAsync(
                u => u.SetProperty(d => d.Status, status).SetProperty(d => d.UserId, userId).SetProperty(d => d.DecidedAt, now).SetProperty(d => d.SessionId, caller.Session!.Id),
                cancellationToken);
        if (decided != 1)
        {
            throw new ApiException(ErrorCodes.Conflict, "This device authorization was already decided.", new { reason = "already_decided" });
        }

        audit.Add(caller.Audit(approve ? AuditEventTypes.DeviceApproved : AuditEventTypes.DeviceDenied) with
        {
            SubjectUserId = userId,
            Metadata = new Dictionary<string, object?> { ["deviceCodeId"] = row.Id, ["clientId"] = row.ClientId, ["requesterIp"] = row.RequesterIp },
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(new DeviceDecisionResponse(status));
    }

    /// <summary>
    /// A phished one-click approval is useless (iam.md §4.9): the approving session must be younger than
    /// <see cref="DeviceOptions.FreshSessionAge"/>, or the request carries the user's password.
    /// </summary>
    private async Task RequirePresenceAsync(IamCaller caller, string? password, long now, CancellationToken cancellationToken)
    {
        if (password is not null)
        {
            var stored = await db.Accounts.AsNoTracking()
                .Where(a => a.UserId == caller.UserId && a.ProviderId == "credential")
                .Select(a => a.PasswordHash)
                .FirstOrDefaultAsync(cancellationToken);
            if (await hashing.VerifyAsync(stored, UnicodeText.ToNfc(password), cancellationToken) == PasswordVerification.Failed)
            {
                throw new ApiException(ErrorCodes.Unauthorized, "The password is wrong.");
            }

            return;
        }

        if (caller.Session!.CreatedAt <= now - (long)options.Value.FreshSessionAge.TotalMilliseconds)
        {
            throw new ApiException(ErrorCodes.Forbidden, "Confirm with your password (or sign in again) to approve a device.", new { reason = "reauthentication_required" });
        }
    }
}
