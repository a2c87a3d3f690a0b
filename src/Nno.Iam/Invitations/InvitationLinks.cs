using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Iam.Data;
using Nno.Iam.Sessions;
using Nno.Iam.Verifications;

namespace Nno.Iam.Invitations;

/// <summary>
/// The emailed link of an invitation (iam.md §4.10, §4.11): a <c>verifications</c> row of purpose <c>invitation</c> for
/// the invited address, valid until the invitation expires, whose token only the email carries (stored as SHA-256).
/// The link points at the console (<c>/auth/magic-link?token=…</c>), which calls <c>GET /api/auth/magic-link/verify</c>
/// when the invitee confirms; verify signs them in (creating the account if needed) and answers <c>/invitations</c>.
/// </summary>
internal sealed class InvitationLinks(IamDbContext db, IOptions<IamOptions> options, TimeProvider time)
{
    public const string Purpose = "invitation";

    /// <summary>Where the verified invitee lands.</summary>
    public const string CallbackPath = "/invitations";

    /// <summary>Adds a link for <paramref name="invitation"/> to the pending changes and returns the console URL carrying its token.</summary>
    public string Create(InvitationRecord invitation)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        var token = OpaqueTokens.New();
        db.Verifications.Add(new VerificationRecord
        {
            Id = IamIds.New("vrf"),
            Purpose = Purpose,
            Identifier = invitation.EmailNormalized,
            TokenHash = OpaqueTokens.Hash(token),
            CallbackUrl = CallbackPath,
            InvitationId = invitation.Id,
            ExpiresAt = invitation.ExpiresAt,
            CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        });
        return options.Value.ConsoleBaseUrl.TrimEnd('/') + "/auth/magic-link?token=" + Uri.EscapeDataString(token);
    }

    /// <summary>Spends every unused link of the invitation (it was answered, canceled or re-sent): old emails stop working.</summary>
    public Task<int> RetireAsync(string invitationId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return db.Verifications.Where(v => v.InvitationId == invitationId && v.Purpose == Purpose && v.ConsumedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(v => v.ConsumedAt, now), cancellationToken);
    }
}
