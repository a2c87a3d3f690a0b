namespace Nno.Core.Ids;

/// <summary>
/// The id rules shared by every generator: lengths, the alphabet, the prefix format, and that the operator platform id
/// is never issued. A subclass supplies only uniformly random alphabet characters.
/// </summary>
public abstract class IdGenerator : IIdGenerator
{
    /// <inheritdoc />
    public string NewId()
    {
        Span<char> buffer = stackalloc char[IdFormat.Length];
        while (true)
        {
            FillRandom(buffer);
            // IAM's operator platform owns this id; re-drawing keeps the distribution uniform over every other id.
            if (!buffer.SequenceEqual(IdFormat.OperatorPlatformId))
            {
                return new string(buffer);
            }
        }
    }

    /// <inheritdoc />
    public string NewPrefixedId(string prefix)
    {
        if (!IdFormat.IsValidPrefix(prefix))
        {
            throw new ArgumentException("An id prefix is 1–16 characters [a-z] without the underscore (for example \"usr\").", nameof(prefix));
        }

        Span<char> body = stackalloc char[IdFormat.PrefixedBodyLength];
        FillRandom(body);
        return string.Concat(prefix, "_", body);
    }

    /// <summary>Fills <paramref name="destination"/> with characters drawn uniformly and independently from <see cref="IdFormat.Alphabet"/>.</summary>
    protected abstract void FillRandom(Span<char> destination);
}
