using Microsoft.AspNetCore.Http;
using Nno.ServiceDefaults.Evictions;

namespace Nno.Iam.Evictions;

/// <summary>
/// Tells the gateway what to drop from its credential cache (iam.md §4.3): every committed change that revokes a
/// session or key, disables a user or changes a role, membership or second-factor state calls <see cref="Publish"/>
/// once the change is saved. The eviction goes out on the channel (whoever made the change) and, for a request, as
/// the <c>X-Nno-Cache-Evict</c> response header, which the gateway honours and strips.
/// </summary>
internal sealed class IamEvictions(IHttpContextAccessor http, ICredentialEvictionChannel channel)
{
    private readonly List<CredentialEviction> _sent = [];

    public void Publish(params IReadOnlyList<CredentialEviction> evictions)
    {
        ArgumentNullException.ThrowIfNull(evictions);
        if (evictions.Count == 0)
        {
            return;
        }

        channel.Publish(evictions);
        _sent.AddRange(evictions);
        if (http.HttpContext is { Response.HasStarted: false } context)
        {
            context.Response.Headers[CredentialEviction.HeaderName] = CredentialEviction.Format(_sent);
        }
    }

    public void Session(string sessionId) => Publish(CredentialEviction.Session(sessionId));

    public void User(string userId) => Publish(CredentialEviction.User(userId));

    public void ApiKey(string keyId) => Publish(CredentialEviction.ApiKey(keyId));
}
