using Microsoft.Extensions.Options;
using Nno.Core.Environments;
using Nno.ServiceDefaults.Hosting;

namespace Nno.Iam.Mfa;

/// <summary>Second-factor settings (<c>Iam:Mfa</c>, iam.md §4.15).</summary>
internal sealed class MfaOptions
{
    public const string Section = "Iam:Mfa";

    /// <summary>Operator rights need a session that passed the second factor; null = on in stg/prod, off in local/dev.</summary>
    public bool? RequireForOperators { get; set; }

    /// <summary>How long a sign-in's <c>two-factor</c> challenge stays open.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Wrong codes a challenge takes; the last one revokes it and counts as one sign-in failure (§4.5).</summary>
    public int ChallengeAttempts { get; set; } = 5;
}

/// <summary>The effective operator second-factor rule for this deployment.</summary>
internal sealed class OperatorMfaRule(IOptions<MfaOptions> mfa, IOptions<NnoOptions> nno)
{
    public bool Required => mfa.Value.RequireForOperators
        ?? EnvironmentNames.Parse(nno.Value.Environment) is NnoEnvironment.Stg or NnoEnvironment.Prod;

    /// <summary>
    /// The role a user acts with: <c>platform-admin</c> only for an operator whose credential passed the second factor
    /// where that is required; otherwise <c>user</c> (iam.md §3.3, §4.15).
    /// </summary>
    public (string Role, bool MfaRequired) EffectiveRole(string storedRole, bool credentialMfaVerified) =>
        storedRole != Users.UserRoles.PlatformAdmin ? (Users.UserRoles.User, false)
        : !Required || credentialMfaVerified ? (Users.UserRoles.PlatformAdmin, false)
        : (Users.UserRoles.User, true);
}
