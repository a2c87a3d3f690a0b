using System.Net;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Nno.Client.Identity;
using Nno.Testing;
using Nno.Testing.Security;

namespace Nno.Iam.Tests.SigningKeys;

public sealed class KeyPersistenceTests
{
    [Fact]
    public async Task Restart_OnTheSameDataDirectory_KeepsTheKeyAndItsTokensVerify()
    {
        var first = await TestPlatform.StartAsync(["iam"], configurePipeline: (_, app) => PrincipalProbe.Map(app));
        string kid, token;
        try
        {
            kid = Assert.Single(await first.PublishedKidsAsync());
            token = (await first.IssueServiceTokenAsync("gateway")).Token;
        }
        finally
        {
            await first.StopKeepingDataAsync();
        }

        await using var second = await TestPlatform.StartAsync(["iam"], configurePipeline: (_, app) => PrincipalProbe.Map(app), dataDir: first.DataDirectory, time: first.Time);
        Assert.Equal([kid], await second.PublishedKidsAsync());
        Assert.Equal(kid, IamTestKeys.Kid((await second.IssueServiceTokenAsync("gateway")).Token));

        using var client = new HttpClient(new GatewayIdentityHandler(_ => ValueTask.FromResult(token), GatewayIdentity.Anonymous())
        {
            InnerHandler = second.Host.Directory.CreateHandler("iam"),
        }) { BaseAddress = new Uri("http://iam.inproc/") };
        using var response = await client.GetAsync(PrincipalProbe.Open);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task SigningKey_PrivateKeyIsStoredEncrypted_WithTheDataProtectionKeyRingUnderTheDataDirectory()
    {
        await using var platform = await TestPlatform.StartAsync(["iam"]);
        var kid = Assert.Single(await platform.PublishedKidsAsync());

        byte[] stored;
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(platform.DataDir, "db", "iam.db")};Mode=ReadOnly;Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT alg, private_key FROM signing_keys WHERE kid = $kid";
            command.Parameters.AddWithValue("$kid", kid);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("ES256", reader.GetString(0));
            stored = (byte[])reader[1];
        }

        var privateKey = (await platform.PrivateKeyAsync(kid)).ExportECPrivateKey();
        Assert.False(stored.AsSpan().IndexOf(privateKey.AsSpan(privateKey.Length - 32)) >= 0, "the raw private scalar is in the table");
        using var probe = ECDsa.Create();
        Assert.ThrowsAny<CryptographicException>(() => probe.ImportECPrivateKey(stored, out _));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(platform.DataDir, "keys"), "key-*.xml"));
    }
}
