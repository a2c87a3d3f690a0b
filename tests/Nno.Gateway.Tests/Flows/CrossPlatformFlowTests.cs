using System.Net;

namespace Nno.Gateway.Tests.Flows;

/// <summary>
/// iam.md §7 tests 11 and 12 and issue 3's cross-platform acceptance through the gateway: a session or API key of
/// platform A finds none of platform B's objects (404 with <c>details.resource</c>, never 403), an operator reaches them.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class CrossPlatformFlowTests(FlowFixture fixture)
{
    private readonly FlowPlatform _p = fixture.Platform;

    private sealed record PlatformB(string Id, FlowUser Owner, string OrgId, string MemberId, string GrantId, string InvitationId, string KeyId, string Key);

    /// <summary>One call aimed at B; <paramref name="SessionOnly"/> routes answer 403 to every API key, so keys are not tried on them.</summary>
    private sealed record Call(string Name, HttpMethod Method, string Path, object? Body = null, bool SessionOnly = false);

    /// <summary>Platform B: an owner, a member in an organization, a grant, a pending invitation, an API key and audit events.</summary>
    private async Task<PlatformB> PlatformBAsync()
    {
        var b = FlowPlatform.NewPlatformId();
        var owner = await _p.PlatformUserAsync(b, "owner");
        var member = await _p.PlatformUserAsync(b, "member");
        var org = await _p.CreateOrganizationAsync(b, owner.Id, "B Tenant");
        using (var add = await _p.PostAsync($"/api/v1/iam/nno/organizations/{org}/members", owner.Token, new { userId = member.Id, role = "member" }))
        {
            await add.AssertStatusAsync(HttpStatusCode.Created);
        }

        string grant;
        using (var created = await _p.PostAsync("/api/v1/iam/nno/grants", owner.Token, new { userId = member.Id, orgId = org, permission = "crm:read", granted = true }))
        {
            grant = (await created.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }

        string invitation;
        using (var created = await _p.PostAsync($"/api/v1/iam/nno/platforms/{b}/invitations", owner.Token, new { email = FlowPlatform.NewEmail("b-invitee"), role = "member", organizationId = org }))
        {
            invitation = (await created.AssertStatusAsync(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }

        var (keyId, key) = await _p.CreateApiKeyAsync(owner.Token, b, "iam:read");
        return new PlatformB(b, owner, org, member.Id, grant, invitation, keyId, key);
    }

    private static IReadOnlyList<Call> CallsOn(PlatformB b) =>
    [
        new("platform members", HttpMethod.Get, $"/api/v1/iam/nno/platforms/{b.Id}/members"),
        new("organizations of B", HttpMethod.Get, $"/api/v1/iam/nno/organizations?platformId={b.Id}"),
        new("organization of B", HttpMethod.Get, $"/api/v1/iam/nno/organizations/{b.OrgId}"),
        new("organization members", HttpMethod.Get, $"/api/v1/iam/nno/organizations/{b.OrgId}/members"),
        new("invitations of B", HttpMethod.Get, $"/api/v1/iam/nno/platforms/{b.Id}/invitations"),
        new("grants on an org of B", HttpMethod.Get, $"/api/v1/iam/nno/grants?orgId={b.OrgId}"),
        new("grant on an org of B", HttpMethod.Post, "/api/v1/iam/nno/grants", new { userId = b.MemberId, orgId = b.OrgId, permission = "crm:write", granted = true }),
        new("audit events of B", HttpMethod.Get, $"/api/v1/iam/audit/events?platformId={b.Id}"),
        new("cancel invitation of B", HttpMethod.Delete, $"/api/v1/iam/nno/platforms/{b.Id}/invitations/{b.InvitationId}"),
        new("revoke B's API key", HttpMethod.Delete, $"/api/v1/iam/nno/apikey/{b.KeyId}", SessionOnly: true),
        new("active platform B", HttpMethod.Post, "/api/v1/iam/nno/session/active-platform", new { platformId = b.Id }, SessionOnly: true),
        new("API key for B", HttpMethod.Post, "/api/v1/iam/nno/apikey", new { name = "x", platformId = b.Id, scopes = new[] { "iam:read" } }, SessionOnly: true),
    ];

    [Fact]
    public async Task SessionAndApiKeyOfPlatformA_GetNotFoundForEveryObjectOfPlatformB_OperatorReachesThem()
    {
        var b = await PlatformBAsync();
        var platformA = FlowPlatform.NewPlatformId();
        var ownerA = await _p.PlatformUserAsync(platformA, "owner");
        var (_, keyA) = await _p.CreateApiKeyAsync(ownerA.Token, platformA, "iam:read", "iam:write");
        var calls = CallsOn(b);

        foreach (var call in calls)
        {
            using var bySession = await _p.SendAsync(call.Method, call.Path, ownerA.Token, call.Body);
            await AssertNotFoundAsync(bySession, "session: " + call.Name);
            if (!call.SessionOnly)
            {
                using var byKey = await _p.SendAsync(call.Method, call.Path, keyA, call.Body);
                await AssertNotFoundAsync(byKey, "API key: " + call.Name);
            }
        }

        // Nothing of B changed: its key still works and its invitation is still pending.
        using (var stillWorks = await _p.GetAsync("/api/v1/iam/auth/profile", b.Key))
        {
            Assert.Equal(b.Owner.Id, (await stillWorks.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("id").GetString());
        }

        using (var invitations = await _p.GetAsync($"/api/v1/iam/nno/platforms/{b.Id}/invitations", b.Owner.Token))
        {
            var invitation = Assert.Single((await invitations.AssertStatusAsync(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
            Assert.Equal("pending", invitation.GetProperty("status").GetString());
        }

        // The operator gets a success on every one of them.
        var expected = new Dictionary<string, HttpStatusCode>
        {
            ["grant on an org of B"] = HttpStatusCode.Created,
            ["cancel invitation of B"] = HttpStatusCode.NoContent,
            ["revoke B's API key"] = HttpStatusCode.NoContent,
            ["API key for B"] = HttpStatusCode.Created,
        };
        foreach (var call in calls)
        {
            using var byOperator = await _p.SendAsync(call.Method, call.Path, fixture.OperatorToken, call.Body);
            await byOperator.AssertStatusAsync(expected.GetValueOrDefault(call.Name, HttpStatusCode.OK));
        }

        using (var revoked = await _p.GetAsync("/api/v1/iam/auth/profile", b.Key))
        {
            await revoked.AssertUnauthorizedAsync();
        }
    }

    private static async Task AssertNotFoundAsync(HttpResponseMessage response, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{what}: expected 404, got {(int)response.StatusCode}: {text}");
        var error = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal("NOT_FOUND", error.GetProperty("code").GetString());
        Assert.True(
            error.GetProperty("details") is { ValueKind: System.Text.Json.JsonValueKind.Object } details
                && details.TryGetProperty("resource", out var resource) && resource.GetString() is { Length: > 0 },
            $"{what}: no details.resource in {text}");
    }
}
