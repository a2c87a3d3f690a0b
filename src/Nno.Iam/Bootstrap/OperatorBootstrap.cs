using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Core.Credentials;
using Nno.Core.Errors;
using Nno.Core.Ids;
using Nno.Iam.Audit;
using Nno.Iam.Data;
using Nno.Iam.Organizations;
using Nno.Iam.Passwords;
using Nno.Iam.Platforms;
using Nno.Iam.Users;

namespace Nno.Iam.Bootstrap;

/// <summary><c>POST /api/nno/bootstrap</c> body, and the start-up seeding settings.</summary>
internal sealed record BootstrapRequest(string Email, string Password, string Name);

/// <summary>The organization part of the bootstrap answer.</summary>
internal sealed record BootstrapOrganizationView(string Id, string Name, string Slug, string OrgType, string PlatformId, DateTimeOffset CreatedAt);

/// <summary><c>201 {user, organization}</c>.</summary>
internal sealed record BootstrapResponse(UserView User, BootstrapOrganizationView Organization);

/// <summary><c>GET /api/nno/bootstrap</c>.</summary>
internal sealed record BootstrapStatus(bool Bootstrapped, DateTimeOffset? CompletedAt);

/// <summary>
/// The one-time creation of the first operator (iam.md §3.5, §4.12), shared by the static-key endpoint and start-up
/// seeding: in one transaction the <c>bootstrap_state</c> row (id 1, so a concurrent second run fails on the key → 409),
/// the operator user (<c>platform-admin</c>, email verified) with a credential account, the <c>nno-operator</c>
/// organization on the operator platform with the user as tenant owner, the platform owner row and the audit event.
/// </summary>
internal sealed class OperatorBootstrap(IamDbContext db, AuditLog audit, PasswordPolicy policy, PasswordHashing hashing, TimeProvider time, IOptions<IamOptions> iam)
{
    public const string OrganizationName = "NNO operators";
    public const string OrganizationSlug = "nno-operators";
    public const string AddedBy = "bootstrap";

    public async Task<BootstrapStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var state = await db.BootstrapState.AsNoTracking().FirstOrDefaultAsync(cancellationToken);
        return new BootstrapStatus(state is not null, state is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(state.CompletedAt));
    }

    /// <summary>Creates the first operator; 400 for bad input, 409 once bootstrapped. <paramref name="actor"/> says who asked.</summary>
    public async Task<BootstrapResponse> RunAsync(BootstrapRequest request, AuditEntry actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(actor);
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!EmailAddress.TryParse(request.Email, out var email, out var emailError))
        {
            problems["email"] = [emailError];
        }

        var name = UnicodeText.ToNfc(request.Name?.Trim() ?? "");
        if (name.Length is 0 or > 100 || name.Any(char.IsControl))
        {
            problems["name"] = ["must be 1–100 characters without control characters"];
        }

        var passwordProblem = policy.Check(request.Password, email, out var password);
        if (passwordProblem is not null)
        {
            problems[PasswordPolicy.Field] = [passwordProblem];
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        if (await db.BootstrapState.AnyAsync(cancellationToken))
        {
            throw AlreadyBootstrapped();
        }

        var hash = await hashing.HashAsync(password, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var user = new UserRecord
        {
            Id = IamIds.New("usr"),
            Email = email!.Value,
            EmailNormalized = email.Normalized,
            Name = name,
            EmailVerified = true,
            Role = UserRoles.PlatformAdmin,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var organization = new OrganizationRecord
        {
            Id = RandomIdGenerator.Instance.NewId(),
            PlatformId = iam.Value.OperatorPlatformId,
            Name = OrganizationName,
            Slug = OrganizationSlug,
            OrgType = OrganizationTypes.NnoOperator,
            CreatedAt = now,
            UpdatedAt = now,
        };

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The singleton row first: a concurrent bootstrap blocks on it and then fails on its key.
        db.BootstrapState.Add(new BootstrapStateRecord { UserId = user.Id, OrganizationId = organization.Id, CompletedAt = now });
        db.Users.Add(user);
        db.Accounts.Add(new AccountRecord { Id = IamIds.New("acc"), UserId = user.Id, ProviderId = "credential", AccountId = user.Id, PasswordHash = hash, CreatedAt = now, UpdatedAt = now });
        db.Organizations.Add(organization);
        db.Members.Add(new MemberRecord { Id = IamIds.New("mem"), OrganizationId = organization.Id, UserId = user.Id, Role = "owner", CreatedAt = now, UpdatedAt = now });
        db.PlatformMembers.Add(new PlatformMemberRecord { PlatformId = organization.PlatformId, UserId = user.Id, Role = "owner", AddedBy = AddedBy, CreatedAt = now, UpdatedAt = now });
        audit.Add(actor with
        {
            Type = AuditEventTypes.BootstrapCompleted,
            Outcome = "success",
            SubjectUserId = user.Id,
            PlatformId = organization.PlatformId,
            OrganizationId = organization.Id,
            Metadata = new Dictionary<string, object?>(actor.Metadata) { ["email"] = user.Email },
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ConstraintViolations.IsUniqueViolation(ex))
        {
            await transaction.RollbackAsync(CancellationToken.None);
            db.ChangeTracker.Clear();
            if (await db.BootstrapState.AnyAsync(CancellationToken.None))
            {
                throw AlreadyBootstrapped();
            }

            // Not bootstrapped, so the clash is the email: someone signed up with it before the installation was set up.
            throw new ApiException(ErrorCodes.Conflict, "A user with this email already exists; bootstrap with another address.", new { reason = "email_taken" });
        }

        return new BootstrapResponse(
            UserView.From(user, twoFactorEnabled: false),
            new BootstrapOrganizationView(organization.Id, organization.Name, organization.Slug, organization.OrgType, organization.PlatformId, DateTimeOffset.FromUnixTimeMilliseconds(now)));
    }

    private static ApiException AlreadyBootstrapped() =>
        new(ErrorCodes.Conflict, "This installation already has its first operator.", new { reason = "already_bootstrapped" });
}
