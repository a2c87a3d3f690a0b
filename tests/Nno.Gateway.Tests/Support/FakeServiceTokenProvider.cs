using Nno.Core.Errors;
using Nno.ServiceDefaults.Security;

namespace Nno.Gateway.Tests.Support;

/// <summary>The gateway's service token at the edge of the test: a fixed value, or a failure when <see cref="Fail"/> is set.</summary>
public sealed class FakeServiceTokenProvider : IServiceTokenProvider
{
    public const string Token = "eyJhbGciOiJFUzI1NiJ9.test-service-token-5f1c.signature";

    public volatile bool Fail;

    /// <summary>Completes asynchronously, as a provider that has to call IAM does.</summary>
    public volatile bool Asynchronous;

    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) =>
        Asynchronous ? GetLaterAsync() : Fail ? throw ApiException.Unavailable("IAM is unreachable.", 5) : ValueTask.FromResult(Token);

    private async ValueTask<string> GetLaterAsync()
    {
        await Task.Yield();
        return Fail ? throw ApiException.Unavailable("IAM is unreachable.", 5) : Token;
    }
}
