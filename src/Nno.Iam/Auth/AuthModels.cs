using System.Text.Json.Serialization;
using Nno.Iam.Sessions;
using Nno.Iam.Users;

namespace Nno.Iam.Auth;

// Requests of iam.md §3.1. Field names follow Better Auth; anything else in a body (role, emailVerified, …) is an
// unknown field and answers 400 (NnoJson), which is how mass assignment is refused.

internal sealed record SignUpRequest
{
    public required string Email { get; init; }

    public required string Password { get; init; }

    public required string Name { get; init; }

    public string? Image { get; init; }

    [JsonPropertyName("callbackURL")]
    public string? CallbackUrl { get; init; }

    public bool? RememberMe { get; init; }
}

internal sealed record SignInRequest
{
    public required string Email { get; init; }

    public required string Password { get; init; }

    public bool? RememberMe { get; init; }

    [JsonPropertyName("callbackURL")]
    public string? CallbackUrl { get; init; }
}

internal sealed record TwoFactorVerifyRequest
{
    public required string ChallengeToken { get; init; }

    public required string Code { get; init; }
}

internal sealed record MagicLinkRequest
{
    public required string Email { get; init; }

    public string? Name { get; init; }

    [JsonPropertyName("callbackURL")]
    public string? CallbackUrl { get; init; }
}

internal sealed record SendVerificationEmailRequest
{
    [JsonPropertyName("callbackURL")]
    public string? CallbackUrl { get; init; }
}

/// <summary>The re-authentication body of enable/disable/recovery-codes/delete-user.</summary>
internal sealed record PasswordConfirmationRequest
{
    public string? Password { get; init; }
}

internal sealed record TwoFactorConfirmRequest
{
    public required string Code { get; init; }
}

internal sealed record ChangePasswordRequest
{
    public string? CurrentPassword { get; init; }

    public required string NewPassword { get; init; }

    public bool? RevokeOtherSessions { get; init; }
}

/// <summary><c>PATCH /api/auth/profile</c>: a field that is present is changed (<c>image: null</c> clears it).</summary>
internal sealed class ProfilePatchRequest
{
    private readonly string? _name;
    private readonly string? _image;

    public string? Name
    {
        get => _name;
        init
        {
            _name = value;
            NameGiven = true;
        }
    }

    public string? Image
    {
        get => _image;
        init
        {
            _image = value;
            ImageGiven = true;
        }
    }

    [JsonIgnore]
    public bool NameGiven { get; private init; }

    [JsonIgnore]
    public bool ImageGiven { get; private init; }
}

// Responses: Better Auth's shapes.

internal sealed record SignUpResponse(string Token, UserView User);

internal sealed record SignInResponse(bool Redirect, string Token, string? Url, UserView User);

internal sealed record TwoFactorRedirectResponse(bool TwoFactorRedirect, string ChallengeToken);

internal sealed record SessionCreatedResponse(string Token, UserView User, SessionView Session);

internal sealed record LinkSessionResponse(
    string Token,
    UserView User,
    SessionView Session,
    [property: JsonPropertyName("callbackURL")] string? CallbackUrl);

internal sealed record LinkChallengeResponse(
    bool TwoFactorRedirect,
    string ChallengeToken,
    [property: JsonPropertyName("callbackURL")] string? CallbackUrl);

internal sealed record StatusResponse(bool Status);

internal sealed record SuccessResponse(bool Success);

internal sealed record CurrentSessionResponse(SessionView Session, UserView User);

internal sealed record TwoFactorEnableResponse(
    [property: JsonPropertyName("totpURI")] string TotpUri,
    string Secret,
    IReadOnlyList<string> RecoveryCodes);

internal sealed record RecoveryCodesResponse(IReadOnlyList<string> RecoveryCodes);
