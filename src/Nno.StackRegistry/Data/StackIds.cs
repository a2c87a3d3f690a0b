using Nno.Core.Ids;

namespace Nno.StackRegistry.Data;

/// <summary>
/// Ids of stack-registry.md §2: a prefix, <c>_</c> and 16 random characters of <c>[a-z0-9]</c> (<c>tpl_…</c>,
/// <c>tv_…</c>). Drawn from the injected <see cref="IIdGenerator"/> (tests control it); its prefixed ids carry 20
/// uniformly random characters, and the first 16 of them are just as uniform.
/// </summary>
internal sealed class StackIds(IIdGenerator generator)
{
    public const int BodyLength = 16;

    public string Template() => New("tpl");

    public string Version() => New("tv");

    private string New(string prefix) => generator.NewPrefixedId(prefix)[..(prefix.Length + 1 + BodyLength)];
}
