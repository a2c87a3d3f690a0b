using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Nno.Core.Ids;

/// <summary>
/// A reproducible id generator for tests: the same seed yields the same id sequence. Characters come from SHA-256 of
/// (seed, block counter) with rejection sampling, so they are uniform like production ids but predictable.
/// Never use it outside tests: anyone who knows the seed knows every id.
/// </summary>
public sealed class DeterministicIdGenerator(string seed) : IdGenerator
{
    // 252 = 7 × 36: bytes below it map onto the alphabet without bias; the rest are skipped.
    private const int Unbiased = 252;

    private readonly byte[] _seed = Encoding.UTF8.GetBytes(seed ?? throw new ArgumentNullException(nameof(seed)));
    private readonly Lock _gate = new();
    private readonly byte[] _block = new byte[SHA256.HashSizeInBytes];
    private long _counter;
    private int _position = SHA256.HashSizeInBytes;

    /// <inheritdoc />
    protected override void FillRandom(Span<char> destination)
    {
        lock (_gate)
        {
            var written = 0;
            while (written < destination.Length)
            {
                var value = NextByte();
                if (value < Unbiased)
                {
                    destination[written++] = IdFormat.Alphabet[value % IdFormat.Alphabet.Length];
                }
            }
        }
    }

    private byte NextByte()
    {
        if (_position == _block.Length)
        {
            var input = new byte[_seed.Length + sizeof(long)];
            _seed.CopyTo(input, 0);
            BinaryPrimitives.WriteInt64BigEndian(input.AsSpan(_seed.Length), _counter++);
            SHA256.HashData(input, _block);
            _position = 0;
        }

        return _block[_position++];
    }
}
