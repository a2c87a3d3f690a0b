namespace Nno.Iam.Users;

/// <summary>The Better Auth–shaped <c>user</c> object of iam.md §3.1.</summary>
internal sealed record UserView(
    string Id,
    string Email,
    string Name,
    string? Image,
    bool EmailVerified,
    string Role,
    bool TwoFactorEnabled,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static UserView From(UserRecord user, bool twoFactorEnabled)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new UserView(
            user.Id,
            user.Email,
            user.Name,
            user.Image,
            user.EmailVerified,
            user.Role,
            twoFactorEnabled,
            DateTimeOffset.FromUnixTimeMilliseconds(user.CreatedAt),
            DateTimeOffset.FromUnixTimeMilliseconds(user.UpdatedAt));
    }
}
