namespace Nno.ServiceDefaults.Security;

/// <summary>
/// This service's own service token (a short-lived ES256 JWT from IAM, 00-system §6), cached and refreshed before it
/// expires. Throws <see cref="Nno.Core.Errors.ApiException"/> <c>SERVICE_UNAVAILABLE</c> when no usable token can be had.
/// </summary>
public interface IServiceTokenProvider
{
    ValueTask<string> GetTokenAsync(CancellationToken cancellationToken);
}
