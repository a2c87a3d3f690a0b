using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Nno.ServiceDefaults.Hosting;

namespace Nno.ServiceDefaults.Limits;

/// <summary>
/// A per-endpoint request body limit (bytes; null = unlimited), overriding <see cref="NnoLimitsOptions.MaxRequestBodyBytes"/>.
/// Deliberately not <see cref="IRequestSizeLimitMetadata"/>: routing would then try to set the server's
/// <see cref="IHttpMaxRequestBodySizeFeature"/>, which <see cref="RequestBodyLimitMiddleware"/> lifts anyway and which the
/// in-memory server lacks (a "could not be applied" warning on every such request).
/// </summary>
public sealed record RequestBodyLimitMetadata(long? MaxRequestBodySize);

/// <summary>The limit in force for the current request, for error messages.</summary>
public sealed record RequestBodyLimitFeature(long Limit);

/// <summary>Endpoint conventions for request body limits.</summary>
public static class RequestBodyLimitExtensions
{
    /// <summary>Sets this endpoint's (or group's) body limit; null lifts it. Bigger bodies answer 413 <c>PAYLOAD_TOO_LARGE</c>.</summary>
    public static TBuilder WithRequestBodyLimit<TBuilder>(this TBuilder builder, long? maxBytes)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestBodyLimitMetadata(maxBytes));

    /// <summary>Adds <see cref="RequestBodyLimitMiddleware"/>; call after routing so endpoint limits are known.</summary>
    public static IApplicationBuilder UseNnoRequestBodyLimit(this IApplicationBuilder app) => app.UseMiddleware<RequestBodyLimitMiddleware>();
}

/// <summary>
/// Enforces the request body limit (00-system §7, default 1 MiB) the same way on Kestrel and in memory: a declared
/// <c>Content-Length</c> over the limit is refused before anything is read, and a chunked body is cut off when it
/// passes the limit. Both throw <see cref="BadHttpRequestException"/> 413 as Kestrel does, which the error middleware
/// turns into <c>PAYLOAD_TOO_LARGE</c>. The endpoint's <see cref="RequestBodyLimitMetadata"/> (or the framework's
/// <see cref="IRequestSizeLimitMetadata"/>) overrides the default.
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptions<NnoLimitsOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Our metadata first; the framework's ([RequestSizeLimit], DisableRequestSizeLimit) is honoured the same way.
        var metadata = context.GetEndpoint()?.Metadata;
        var limit = metadata?.GetMetadata<RequestBodyLimitMetadata>() is { } own ? own.MaxRequestBodySize
            : metadata?.GetMetadata<IRequestSizeLimitMetadata>() is { } framework ? framework.MaxRequestBodySize
            : options.Value.MaxRequestBodyBytes;

        // From here on this middleware is the one enforcer, on Kestrel too: Kestrel's own limit (the global default, a
        // backstop for anything that reads bodies before routing) is lifted for the request. Kestrel counts chunked
        // bytes as they arrive, ahead of the application, and a request it rejects itself loses the envelope body.
        var serverLimit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (serverLimit is { IsReadOnly: false })
        {
            serverLimit.MaxRequestBodySize = null;
        }

        if (limit is not { } max)
        {
            return next(context);
        }

        context.Features.Set(new RequestBodyLimitFeature(max));
        if (context.Request.ContentLength > max)
        {
            throw TooLarge(max);
        }

        context.Request.Body = new LimitedRequestStream(context.Request.Body, max);
        return next(context);
    }

    /// <summary>The exception a body over <paramref name="limit"/> raises (413, as Kestrel raises it).</summary>
    public static BadHttpRequestException TooLarge(long limit) =>
        new($"The request body is larger than the limit of {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
}

/// <summary>Told what a <see cref="LimitedRequestStream"/> reads (the gateway counts request bytes for its access log).</summary>
public interface IRequestBodyObserver
{
    void OnBodyRead(int bytes);

    void OnBodyLimitExceeded();
}

/// <summary>
/// A request body that counts what is read and fails with 413 once more than <paramref name="limit"/> bytes have
/// arrived, so chunked bodies are held to the limit while streaming without being buffered.
/// </summary>
public sealed class LimitedRequestStream(Stream inner, long limit, IRequestBodyObserver? observer = null) : Stream
{
    private long _read;

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

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        _read += read;
        observer?.OnBodyRead(read);
        if (_read > limit)
        {
            observer?.OnBodyLimitExceeded();
            throw RequestBodyLimitMiddleware.TooLarge(limit);
        }

        return read;
    }
}
