using System.ComponentModel.DataAnnotations;

namespace Nno.Iam.Sessions;

/// <summary>Session lifetimes and limits (<c>Iam:Sessions</c>, iam.md §4.3).</summary>
internal sealed class SessionOptions
{
    public const string Section = "Iam:Sessions";

    public TimeSpan BrowserIdle { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan BrowserAbsolute { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A browser session with <c>rememberMe: false</c>.</summary>
    public TimeSpan ShortIdle { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan ShortAbsolute { get; set; } = TimeSpan.FromHours(24);

    /// <summary><c>nno login</c> (device authorization grant).</summary>
    public TimeSpan DeviceIdle { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan DeviceAbsolute { get; set; } = TimeSpan.FromDays(90);

    /// <summary>A device session approved by an operator: shorter, because it carries operator rights.</summary>
    public TimeSpan OperatorDeviceIdle { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan OperatorDeviceAbsolute { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Sliding renewal happens at most this often per session.</summary>
    public TimeSpan RenewAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary><c>last_seen_at</c> is written at most this often per session.</summary>
    public TimeSpan LastSeenInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Live sessions per user; one more revokes the least recently seen (<c>limit</c>).</summary>
    [Range(1, 10_000)]
    public int MaxPerUser { get; set; } = 100;

    /// <summary>The (idle, absolute) lifetimes of a session of <paramref name="kind"/>.</summary>
    public (TimeSpan Idle, TimeSpan Absolute) LifetimesOf(SessionKind kind) => kind switch
    {
        SessionKind.Browser => (BrowserIdle, BrowserAbsolute),
        SessionKind.BrowserShort => (ShortIdle, ShortAbsolute),
        SessionKind.Device => (DeviceIdle, DeviceAbsolute),
        SessionKind.OperatorDevice => (OperatorDeviceIdle, OperatorDeviceAbsolute),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>The lifetime classes of iam.md §4.3.</summary>
internal enum SessionKind
{
    /// <summary>Browser, <c>rememberMe</c> true.</summary>
    Browser,

    /// <summary>Browser, <c>rememberMe</c> false.</summary>
    BrowserShort,

    Device,

    OperatorDevice,
}

/// <summary><c>sessions.auth_method</c> values.</summary>
internal static class AuthMethods
{
    public const string Password = "password";
    public const string SignUp = "sign-up";
    public const string MagicLink = "magic-link";
    public const string Device = "device";
}

/// <summary><c>sessions.revoked_reason</c> values.</summary>
internal static class RevokeReasons
{
    public const string SignOut = "sign-out";
    public const string User = "user";
    public const string Admin = "admin";
    public const string PasswordChange = "password-change";
    public const string UserDisabled = "user-disabled";
    public const string MembershipRemoved = "membership-removed";
    public const string Limit = "limit";
    public const string AccountDeleted = "account-deleted";
}
