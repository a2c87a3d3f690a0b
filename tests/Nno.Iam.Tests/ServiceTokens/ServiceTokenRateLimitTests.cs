using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nno.Iam.Data;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.Iam.Tests.ServiceTokens;

public sealed class ServiceTokenRateLimitTests : IAsyncLifetime
{
    private TestPlatform _platform = null!;

    public async Task InitializeAsync() => _platform = await TestPlatform.StartAsync(["iam"]);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task IssueToken_EleventhFailureWithinAMinute_Returns429WithRetryAfterEvenForTheRightSecret()
    {
        using var iam = _platform.Client("iam");
        for (var i = 0; i < 10; i++)
        {
            _platform.Time.Advance(TimeSpan.FromSeconds(1));
            using var denied = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, "registry", "not-the-secret-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        }

        using var limited = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, "registry", "still-not-the-secret");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("RATE_LIMITED", await ServiceTokenEndpointTests.ErrorCodeAsync(limited));
        // The oldest failure was 10 s ago: it leaves the one-minute window in 51 s (rounded up).
        Assert.Equal(TimeSpan.FromSeconds(51), limited.Headers.RetryAfter!.Delta);

        // Blocking the address blocks guessing: a right guess is not told apart from a wrong one.
        using var rightButLimited = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, "registry", _platform.ClientSecret("registry"));
        Assert.Equal(HttpStatusCode.TooManyRequests, rightButLimited.StatusCode);

        // Only the ten real denials were audited; 429s are not (they would let anyone flood the table).
        await using (var scope = _platform.Host.Apps["iam"].Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<IamDbContext>();
            Assert.Equal(10, await db.AuditEvents.CountAsync(e => e.Type == "service_token.denied"));
        }

        // Once the oldest failure is a minute old, the address may try again.
        _platform.Time.Advance(TimeSpan.FromSeconds(51));
        using var allowed = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, "registry", _platform.ClientSecret("registry"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task IssueToken_TenFailures_DoNotBlockTheNextRequest()
    {
        using var iam = _platform.Client("iam");
        for (var i = 0; i < 9; i++)
        {
            using var denied = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, "cli", "wrong");
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        }

        using var ok = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, "cli", _platform.ClientSecret("cli"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var tenth = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, "cli", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, tenth.StatusCode);
        using var eleventh = await ServiceTokenEndpointTests.PostTokenRequestAsync(iam, "cli", "wrong");
        Assert.Equal(HttpStatusCode.TooManyRequests, eleventh.StatusCode);
    }
}
