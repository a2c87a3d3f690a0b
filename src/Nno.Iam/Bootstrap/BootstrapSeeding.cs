using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Iam.Audit;

namespace Nno.Iam.Bootstrap;

/// <summary>Start-up seeding of the first operator (<c>Iam:Bootstrap</c>, iam.md §4.12).</summary>
internal sealed class BootstrapOptions
{
    public const string Section = "Iam:Bootstrap";

    /// <summary>Set to seed the first operator at start; nothing happens once the installation is bootstrapped.</summary>
    public string? Email { get; set; }

    /// <summary>Required with <see cref="Email"/>; checked by the password policy.</summary>
    public string? Password { get; set; }

    /// <summary>Defaults to the email's local part.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// Runs the same code as <c>POST /api/nno/bootstrap</c> at start when <c>Iam:Bootstrap:Email</c> is set, after the
/// database migration (hosted services start in registration order). A no-op once bootstrapped; bad settings stop
/// the start with the validation problem, since an installation without its intended operator is not usable.
/// </summary>
internal sealed partial class BootstrapSeeding(IServiceScopeFactory scopes, IOptions<BootstrapOptions> options, ILogger<BootstrapSeeding> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(settings.Email))
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var bootstrap = scope.ServiceProvider.GetRequiredService<OperatorBootstrap>();
        if ((await bootstrap.StatusAsync(cancellationToken)).Bootstrapped)
        {
            return;
        }

        if (string.IsNullOrEmpty(settings.Password))
        {
            throw new InvalidOperationException("Iam:Bootstrap:Password is required with Iam:Bootstrap:Email.");
        }

        var name = string.IsNullOrWhiteSpace(settings.Name) ? settings.Email.Split('@')[0].Trim() : settings.Name;
        try
        {
            var created = await bootstrap.RunAsync(
                new BootstrapRequest(settings.Email, settings.Password, name),
                new AuditEntry { Type = AuditEventTypes.BootstrapCompleted, Outcome = "success", ActorKind = "system", Metadata = new Dictionary<string, object?> { ["source"] = "configuration" } },
                cancellationToken);
            LogSeeded(logger, created.User.Id);
        }
        catch (ApiException ex)
        {
            if (ex.Code == ErrorCodes.Conflict && (await bootstrap.StatusAsync(CancellationToken.None)).Bootstrapped)
            {
                // Another replica seeded first: the same outcome.
                return;
            }

            throw new InvalidOperationException("Iam:Bootstrap settings are invalid: " + ex.Message + (ex.Details is null ? "" : " " + System.Text.Json.JsonSerializer.Serialize(ex.Details)), ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded the first operator {UserId} from Iam:Bootstrap settings")]
    private static partial void LogSeeded(ILogger logger, string userId);
}
