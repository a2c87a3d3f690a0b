using Amazon.Runtime;
using Amazon.S3;

namespace Nno.Sandbox.Tests.S3;

/// <summary>The real AWS SDK client configured the way NNO configures it for R2 (provisioning.md §5).</summary>
internal static class S3Clients
{
    public const string AccessKeyId = "sandbox-r2-key";
    public const string SecretAccessKey = "sandbox-r2-secret";

    public static AmazonS3Client Create(AreaSandbox fixture, string accessKeyId = AccessKeyId, string secret = SecretAccessKey) =>
        new(new BasicAWSCredentials(accessKeyId, secret), new AmazonS3Config
        {
            ServiceURL = fixture.Sandbox.S3Url,
            ForcePathStyle = true,
            AuthenticationRegion = "auto",
            // One attempt: a test must see the emulator's first answer, not a retried one.
            MaxErrorRetry = 0,
        });
}

/// <summary>A Sandbox whose REST rate limit is 20 per window, to show the S3 surface is not counted.</summary>
public sealed class RateLimitedAreaSandbox : IAsyncLifetime
{
    public const int Limit = 20;

    public AreaSandbox Area { get; } = new();

    public async Task InitializeAsync()
    {
        Area.Settings["Sandbox:Cloudflare:RateLimit:Limit"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Area.InitializeAsync();
    }

    public Task DisposeAsync() => Area.DisposeAsync();
}
