using Microsoft.AspNetCore.Http;
using Nno.Gateway.Pipeline;

namespace Nno.Gateway.Forwarding;

/// <summary>
/// The client's request body as forwarded: counts the bytes read and fails with 413 as soon as they exceed the route's
/// limit, so chunked bodies are held to the limit while streaming (gateway.md §4.1 step 4) without being buffered.
/// </summary>
internal sealed class LimitedRequestBody(Stream inner, long limit, GatewayRequest state) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    private int Count(int read)
    {
        state.RequestBytes += read;
        if (state.RequestBytes > limit)
        {
            state.BodyLimitExceeded = true;
            throw new BadHttpRequestException($"The request body exceeds the limit of {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
