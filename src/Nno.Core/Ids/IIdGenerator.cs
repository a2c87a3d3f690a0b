namespace Nno.Core.Ids;

/// <summary>
/// The source of new ids (00-system §8). Injected everywhere an id is minted so tests can control ids; production uses
/// <see cref="RandomIdGenerator"/>.
/// </summary>
public interface IIdGenerator
{
    /// <summary>A new 10-character <c>[a-z0-9]</c> id for a platform, entity or stack (never <see cref="IdFormat.OperatorPlatformId"/>).</summary>
    string NewId();

    /// <summary>
    /// A new prefixed id <c>{prefix}_</c> + 20 characters <c>[a-z0-9]</c> (IAM's <c>usr_…</c>, <c>ses_…</c>, <c>key_…</c>).
    /// <paramref name="prefix"/> is given without the underscore and must match <see cref="IdFormat.IsValidPrefix"/>.
    /// </summary>
    string NewPrefixedId(string prefix);
}
