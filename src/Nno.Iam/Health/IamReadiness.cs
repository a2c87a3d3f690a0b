using System.Data.Common;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Nno.Iam.Data;
using Nno.Iam.Mail;
using Nno.Iam.SigningKeys;
using Nno.ServiceDefaults.Health;

namespace Nno.Iam.Health;

/// <summary>Readiness <c>signingKey</c> (iam.md §3.7): a key that can sign is loaded. Without one IAM cannot issue tokens: 503.</summary>
internal sealed class SigningKeyReadyCheck(SigningKeyRing ring) : IHealthCheck
{
    public const string Name = "signingKey";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var key = await ring.GetSigningKeyAsync(cancellationToken);
            return key.Credentials is null ? HealthCheckResult.Unhealthy("The active signing key cannot be decrypted.") : HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is DbException or DbUpdateException or CryptographicException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("No signing key is loaded.", ex);
        }
    }
}

/// <summary>
/// Readiness <c>emailOutbox</c> (iam.md §3.7): <c>ok</c>, or <c>backlog</c> when an email has been due for longer than
/// <see cref="EmailOptions.BacklogAge"/>. Delivery lagging does not stop IAM from serving, so this never fails readiness.
/// </summary>
internal sealed class EmailOutboxReadyCheck(IServiceScopeFactory scopes, TimeProvider time, IOptions<EmailOptions> options) : IHealthCheck
{
    public const string Name = "emailOutbox";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var dueBefore = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)options.Value.BacklogAge.TotalMilliseconds;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<IamDbContext>();
            var late = await db.EmailOutbox.AnyAsync(e => e.Status == OutboxStatuses.Pending && e.NextAttemptAt <= dueBefore, cancellationToken);
            return late
                ? HealthCheckResult.Degraded("Emails have been waiting longer than the backlog age.", data: State("backlog"))
                : HealthCheckResult.Healthy(data: State("ok"));
        }
        catch (DbException ex)
        {
            // The database check reports the outage; the outbox state is merely unknown.
            return HealthCheckResult.Degraded("The outbox could not be read.", ex, State("unknown"));
        }
    }

    private static Dictionary<string, object> State(string state) => new(StringComparer.Ordinal) { [HealthEndpoints.StateDataKey] = state };
}

/// <summary>Registers IAM's readiness checks (the <c>database</c> check comes with the database).</summary>
internal static class IamReadiness
{
    public static IServiceCollection AddIamReadiness(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<SigningKeyReadyCheck>(SigningKeyReadyCheck.Name, HealthStatus.Unhealthy, [HealthEndpoints.ReadyTag])
            .AddCheck<EmailOutboxReadyCheck>(EmailOutboxReadyCheck.Name, HealthStatus.Degraded, [HealthEndpoints.ReadyTag]);
        return services;
    }
}
