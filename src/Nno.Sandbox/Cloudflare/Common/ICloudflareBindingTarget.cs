using System.Text.Json.Nodes;

namespace Nno.Sandbox.Cloudflare.Common;

/// <summary>
/// Checks that a Worker binding names an existing resource. The Workers upload looks one up by the binding's
/// <c>type</c> (<c>d1</c>, <c>kv_namespace</c>, <c>r2_bucket</c>, <c>queue</c>, <c>service</c>); a binding whose type has
/// no target registered is rejected (400). Areas register theirs in <see cref="CloudflareArea.AddServices"/> with
/// <c>services.AddSingleton&lt;ICloudflareBindingTarget, …&gt;()</c>.
/// </summary>
public interface ICloudflareBindingTarget
{
    /// <summary>The binding type this target checks (<c>kv_namespace</c>, …).</summary>
    string BindingType { get; }

    /// <summary>
    /// Null when <paramref name="binding"/> (the whole binding object, e.g. <c>{type, name, namespace_id}</c>) names an
    /// existing resource of <paramref name="accountId"/>; otherwise the message of the 400 answer.
    /// </summary>
    Task<string?> CheckAsync(string accountId, JsonObject binding, CancellationToken cancellationToken);
}
