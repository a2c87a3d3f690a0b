using System.Security.Cryptography;

namespace Nno.Core.Ids;

/// <summary>
/// The production id generator: characters from the operating system's CSPRNG. <see cref="RandomNumberGenerator.GetItems{T}(ReadOnlySpan{T}, Span{T})"/>
/// draws each index uniformly (no modulo bias), so every id is equally likely.
/// </summary>
public sealed class RandomIdGenerator : IdGenerator
{
    /// <summary>A shared instance; the generator has no state.</summary>
    public static RandomIdGenerator Instance { get; } = new();

    /// <inheritdoc />
    protected override void FillRandom(Span<char> destination) =>
        RandomNumberGenerator.GetItems(IdFormat.Alphabet.AsSpan(), destination);
}
