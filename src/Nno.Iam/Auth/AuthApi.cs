using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Iam.Mfa;
using Nno.Iam.SignIn;
using Nno.Iam.Users;
using Nno.Iam.Verifications;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Limits;

namespace Nno.Iam.Auth;

/// <summary>
/// The Better Auth–compatible surface <c>/api/auth/*</c> (iam.md §3.1): sign-up, sign-in, magic links, email
/// verification, sign-out, session, profile, password, second factor and account deletion. Every body is held to
/// 64 KiB (iam.md §6). Handlers live in their feature folders; this file only maps them.
/// </summary>
internal static class AuthApi
{
    public const string Prefix = "/api/auth";

    public static IServiceCollection AddAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        services.AddOptions<SessionCookieOptions>().BindConfiguration(SessionCookieOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SessionCookieOptions>, SessionCookieOptionsValidator>();
        services.AddOptions<LockoutOptions>().BindConfiguration(LockoutOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Verifications.LinkOptions>().BindConfiguration(Verifications.LinkOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SessionCookie>();
        services.AddScoped<SignInThrottle>();
        services.AddScoped<EmailLinks>();
        services.AddScoped<TwoFactorChallenges>();
        services.AddScoped<TotpAuthenticator>();
        services.AddScoped<SignInCompletion>();
        services.AddScoped<Reauthentication>();
        services.AddScoped<AccountDeletion>();
        return services;
    }

    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var maxBody = app.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.MaxRequestBodyBytes;
        var auth = app.MapGroup(Prefix).WithTags("Auth").WithRequestBodyLimit(maxBody);

        auth.MapPost("/sign-up/email", SignInEndpoints.SignUpAsync)
            .WithName("SignUpEmail").WithSummary("Create an account with email and password; answers a session token and queues a verify-email link.")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        auth.MapPost("/sign-in/email", SignInEndpoints.SignInEmailAsync)
            .WithName("SignInEmail").WithSummary("Sign in with email and password (throttled per address); a user with a second factor gets a challenge.")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status429TooManyRequests, "application/json");
        auth.MapPost("/two-factor/verify", TwoFactorEndpoints.VerifyAsync)
            .WithName("VerifyTwoFactor").WithSummary("Complete a sign-in challenge with a TOTP or recovery code.");
        auth.MapPost("/sign-in/magic-link", EmailLinkEndpoints.SendMagicLinkAsync)
            .WithName("SendMagicLink").WithSummary("Email a single-use sign-in link to the console. Always answers {status:true}.");
        auth.MapGet("/magic-link/verify", EmailLinkEndpoints.VerifyAsync)
            .WithName("VerifyMagicLink").WithSummary("Spend an emailed link (magic-link, verify-email or invitation) for a session or a second-factor challenge.")
            .Produces(StatusCodes.Status302Found)
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json");
        auth.MapPost("/send-verification-email", EmailLinkEndpoints.SendVerificationEmailAsync)
            .WithName("SendVerificationEmail").WithSummary("Email a new verify-email link to the caller (at most 3 per 15 minutes).")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json")
            .WithIdempotency();
        auth.MapPost("/sign-out", SignInEndpoints.SignOutAsync)
            .WithName("SignOut").WithSummary("Revoke the current session and clear the compatibility cookie.");
        auth.MapGet("/get-session", SignInEndpoints.GetSessionAsync)
            .WithName("GetAuthSession").WithSummary("The current session and its user (Better Auth shape).");
        auth.MapGet("/profile", AccountEndpoints.GetProfileAsync)
            .WithName("GetProfile").WithSummary("The caller's user object.");
        auth.MapPatch("/profile", AccountEndpoints.UpdateProfileAsync)
            .WithName("UpdateProfile").WithSummary("Change the caller's name or image (image: null clears it).");
        auth.MapPost("/change-password", AccountEndpoints.ChangePasswordAsync)
            .WithName("ChangePassword").WithSummary("Set a new password; by default every other session is revoked.")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json");
        auth.MapPost("/two-factor/enable", TwoFactorEndpoints.EnableAsync)
            .WithName("EnableTwoFactor").WithSummary("Start TOTP enrolment: secret, otpauth URI and recovery codes, shown once.")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json")
            .WithIdempotency(secretBearing: true);
        auth.MapPost("/two-factor/confirm", TwoFactorEndpoints.ConfirmAsync)
            .WithName("ConfirmTwoFactor").WithSummary("Confirm enrolment with a code; the current session becomes mfaVerified.")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        auth.MapPost("/two-factor/disable", TwoFactorEndpoints.DisableAsync)
            .WithName("DisableTwoFactor").WithSummary("Remove the second factor (needs a session that passed it and re-authentication).")
            .Produces<ErrorEnvelope>(StatusCodes.Status403Forbidden, "application/json")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        auth.MapPost("/two-factor/recovery-codes", TwoFactorEndpoints.RegenerateRecoveryCodesAsync)
            .WithName("RegenerateRecoveryCodes").WithSummary("Replace the recovery codes (shown once).")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json")
            .WithIdempotency(secretBearing: true);
        auth.MapPost("/delete-user", AccountEndpoints.DeleteUserAsync)
            .WithName("DeleteUser").WithSummary("Delete the caller's account and everything that references it.")
            .Produces<ErrorEnvelope>(StatusCodes.Status409Conflict, "application/json");
        return app;
    }
}
