using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nno.Core.Errors;
using Nno.Iam.Passwords;

namespace Nno.Iam.Tests.Passwords;

public sealed class PasswordHashingTests
{
    private static PasswordHashing Create(int iterations = 1_000, int? concurrency = null, double maxWaitSeconds = 5) =>
        new(Options.Create(new PasswordOptions { Iterations = iterations, MaxConcurrency = concurrency, MaxWaitSeconds = maxWaitSeconds }));

    [Fact]
    public void Options_ProductionDefaults_Are100000IterationsAndFiveSecondWait()
    {
        using var provider = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddIamPasswords()
            .BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PasswordOptions>>().Value;

        Assert.Equal(100_000, options.Iterations);
        Assert.Equal(5, options.MaxWaitSeconds);
        Assert.Equal(Math.Max(2, Environment.ProcessorCount), options.EffectiveConcurrency);
        Assert.Equal(options.EffectiveConcurrency, provider.GetRequiredService<PasswordHashing>().Concurrency);
        Assert.NotNull(provider.GetRequiredService<PasswordPolicy>());
    }

    [Fact]
    public void Options_AreBoundFromIamPasswords()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Iam:Passwords:Iterations"] = "1000", ["Iam:Passwords:MaxWaitSeconds"] = "2" })
            .Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddIamPasswords().BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PasswordOptions>>().Value;

        Assert.Equal(1_000, options.Iterations);
        Assert.Equal(2, options.MaxWaitSeconds);
    }

    [Fact]
    public async Task HashThenVerify_RoundTrips_AndRejectsOtherPasswords()
    {
        using var hashing = Create();

        var hash = await hashing.HashAsync("correct horse battery staple", CancellationToken.None);

        Assert.Equal(0x01, Convert.FromBase64String(hash)[0]); // V3 format marker
        Assert.Equal(PasswordVerification.Success, await hashing.VerifyAsync(hash, "correct horse battery staple", CancellationToken.None));
        Assert.Equal(PasswordVerification.Failed, await hashing.VerifyAsync(hash, "correct horse battery stapl3", CancellationToken.None));
        Assert.NotEqual(hash, await hashing.HashAsync("correct horse battery staple", CancellationToken.None)); // salted
    }

    [Fact]
    public async Task Verify_WithoutStoredHash_ChecksDummyAndFails()
    {
        using var hashing = Create();

        Assert.Equal(PasswordVerification.Failed, await hashing.VerifyAsync(null, "correct horse battery staple", CancellationToken.None));
        Assert.Equal(PasswordVerification.Failed, await hashing.VerifyAsync("", "correct horse battery staple", CancellationToken.None));
        Assert.Equal(PasswordVerification.Failed, await hashing.VerifyAsync("not base64!", "correct horse battery staple", CancellationToken.None));
    }

    [Fact]
    public async Task Verify_HashWithFewerIterationsThanConfigured_NeedsRehash()
    {
        using var old = Create(iterations: 1_000);
        using var current = Create(iterations: 2_000);
        var hash = await old.HashAsync("correct horse battery staple", CancellationToken.None);

        Assert.Equal(PasswordVerification.SuccessRehashNeeded, await current.VerifyAsync(hash, "correct horse battery staple", CancellationToken.None));
        var rehashed = await current.HashAsync("correct horse battery staple", CancellationToken.None);
        Assert.Equal(PasswordVerification.Success, await current.VerifyAsync(rehashed, "correct horse battery staple", CancellationToken.None));
    }

    [Fact]
    public async Task Hash_AllSlotsBusyLongerThanTheWait_Is503()
    {
        using var hashing = Create(concurrency: 1, maxWaitSeconds: 0.2);
        using var busy = await hashing.AcquireAsync(CancellationToken.None);

        var ex = await Assert.ThrowsAsync<ApiException>(() => hashing.HashAsync("correct horse battery staple", CancellationToken.None));
        Assert.Equal(503, ex.Status);
        Assert.Equal(ErrorCodes.ServiceUnavailable, ex.Code);
        Assert.True(ex.Headers.ContainsKey("Retry-After"));
        await Assert.ThrowsAsync<ApiException>(() => hashing.VerifyAsync(null, "correct horse battery staple", CancellationToken.None));

        busy.Dispose();
        Assert.NotEmpty(await hashing.HashAsync("correct horse battery staple", CancellationToken.None));
    }

    [Fact]
    public async Task Hash_SlotFreedWithinTheWait_Proceeds()
    {
        using var hashing = Create(concurrency: 1, maxWaitSeconds: 5);
        var busy = await hashing.AcquireAsync(CancellationToken.None);

        var pending = hashing.HashAsync("correct horse battery staple", CancellationToken.None);
        Assert.False(pending.IsCompleted);
        busy.Dispose();

        Assert.NotEmpty(await pending);
    }
}
