using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Nno.ServiceDefaults.Bindings;

/// <summary>
/// Sends an <see cref="HttpRequestMessage"/> through another application's request pipeline in memory: no socket, no
/// serialisation of the HTTP framing. Request bodies are streamed into the application through a pipe (read with
/// <c>CopyToAsync</c>, which every <see cref="HttpContent"/> supports); responses are buffered until the application
/// flushes, exceeds <see cref="StreamingThreshold"/> bytes or completes, then streamed. <c>OnStarting</c> and
/// <c>OnCompleted</c> fire as on Kestrel, and cancelling the call aborts the request.
/// </summary>
public sealed class InMemoryHttpHandler(InMemoryServer server, string serviceName) : HttpMessageHandler
{
    /// <summary>Response bytes kept in memory before the handler switches to streaming.</summary>
    public const int StreamingThreshold = 64 * 1024;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(server, serviceName, request, cancellationToken);

    /// <summary>Sends <paramref name="request"/> into <paramref name="server"/>'s pipeline.</summary>
    internal static async Task<HttpResponseMessage> SendAsync(InMemoryServer server, string serviceName, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var invoker = server.Invoker
            ?? throw new HttpRequestException(HttpRequestError.ConnectionError, $"The {serviceName} service is not running in this process.");
        cancellationToken.ThrowIfCancellationRequested();

        var exchange = new Exchange(request, cancellationToken);
        var features = exchange.CreateFeatures();

        // Runs synchronously until the application's first real await; the response is handed back when it starts.
        var run = invoker.InvokeAsync(features, exchange.FinishAsync);
        if (run.IsCompleted)
        {
            // The common case: the application finished synchronously; no continuation to allocate.
            if (run.IsFaulted)
            {
                exchange.Fail(run.Exception);
            }
        }
        else
        {
            _ = run.ContinueWith(static (t, state) => ((Exchange)state!).Fail(t.Exception), exchange, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        using (cancellationToken.UnsafeRegister(static s => ((Exchange)s!).CancelBeforeResponse(), exchange))
        {
            return await exchange.ResponseTask.ConfigureAwait(false);
        }
    }

    /// <summary>One request/response exchange and every feature the application sees.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The body stream owns no unmanaged state; the exchange ends with the request.")]
    private sealed class Exchange : IHttpResponseFeature, IHttpResponseBodyFeature, IHttpRequestLifetimeFeature, IHttpRequestIdentifierFeature, IHttpRequestBodyDetectionFeature, IHttpConnectionFeature
    {
        private static long s_nextId;
        private readonly HttpRequestMessage _request;
        private readonly CancellationTokenSource _aborted;
        private readonly TaskCompletionSource<HttpResponseMessage> _response = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ResponseBodyStream _body;
        private readonly Lock _gate = new();
        private Stack<(Func<object, Task> Callback, object State)>? _onStarting;
        private Stack<(Func<object, Task> Callback, object State)>? _onCompleted;
        private PipeWriter? _writer;
        private Pipe? _streamingPipe;
        private Task? _requestBodyCopy;
        private volatile bool _started;
        private readonly long _id;
        private string? _traceIdentifier;
        private string? _connectionId;

        public Exchange(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _request = request;
            _aborted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _body = new ResponseBodyStream(this);
            _id = Interlocked.Increment(ref s_nextId);
        }

        public Task<HttpResponseMessage> ResponseTask => _response.Task;

        // IHttpResponseFeature
        public int StatusCode { get; set; } = 200;

        public string? ReasonPhrase { get; set; }

        public IHeaderDictionary Headers { get; set; } = new HeaderDictionary(8);

        Stream IHttpResponseFeature.Body
        {
            get => _body;
            set => throw new NotSupportedException("Replace the IHttpResponseBodyFeature instead.");
        }

        public bool HasStarted => _started;

        // IHttpResponseBodyFeature
        public Stream Stream => _body;

        public PipeWriter Writer => _writer ??= PipeWriter.Create(_body, new StreamPipeWriterOptions(leaveOpen: true));

        // IHttpRequestLifetimeFeature
        public CancellationToken RequestAborted
        {
            get => _aborted.Token;
            set { }
        }

        // IHttpRequestIdentifierFeature
        // Built on first use: most requests never read it.
        public string TraceIdentifier
        {
            get => _traceIdentifier ??= "inproc-" + _id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            set => _traceIdentifier = value;
        }

        // IHttpConnectionFeature: no socket; both ends are this process.
        public string ConnectionId
        {
            get => _connectionId ?? TraceIdentifier;
            set => _connectionId = value;
        }

        public IPAddress? RemoteIpAddress { get; set; } = IPAddress.Loopback;

        public IPAddress? LocalIpAddress { get; set; } = IPAddress.Loopback;

        public int RemotePort { get; set; }

        public int LocalPort { get; set; }

        // IHttpRequestBodyDetectionFeature: as on a socket, a body is announced by a length > 0 or by chunked framing.
        public bool CanHaveBody { get; private set; }

        public void Abort()
        {
            _aborted.Cancel();
            _response.TrySetException(new HttpRequestException(HttpRequestError.ResponseEnded, "The application aborted the request."));
            _streamingPipe?.Writer.Complete(new IOException("The application aborted the request."));
        }

        public void OnStarting(Func<object, Task> callback, object state)
        {
            lock (_gate)
            {
                if (_started)
                {
                    throw new InvalidOperationException("The response has already started.");
                }

                (_onStarting ??= new(4)).Push((callback, state));
            }
        }

        public void OnCompleted(Func<object, Task> callback, object state)
        {
            lock (_gate)
            {
                (_onCompleted ??= new(4)).Push((callback, state));
            }
        }

        public FeatureCollection CreateFeatures()
        {
            // Sized for what the handler and the hosting layer set (about a dozen), so the dictionary never grows.
            var features = new FeatureCollection(16);
            var requestFeature = new HttpRequestFeature
            {
                Protocol = "HTTP/" + _request.Version.ToString(2),
                Method = _request.Method.Method,
            };

            var uri = _request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
            requestFeature.Scheme = uri.Scheme;
            var pathAndQuery = uri.IsAbsoluteUri ? uri.PathAndQuery : uri.OriginalString;
            var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
            var rawPath = q >= 0 ? pathAndQuery[..q] : pathAndQuery;
            requestFeature.RawTarget = pathAndQuery;
            requestFeature.Path = DecodePath(rawPath.Length == 0 ? "/" : rawPath);
            requestFeature.PathBase = PathString.Empty;
            requestFeature.QueryString = q >= 0 ? pathAndQuery[q..] : string.Empty;

            var content = _request.Content;
            var headers = new HeaderDictionary(_request.Headers.NonValidated.Count + (content is null ? 1 : 4));
            // NonValidated: the raw values as sent, without parsing them into typed header values first.
            foreach (var header in _request.Headers.NonValidated)
            {
                AddHeader(headers, header.Key, header.Value);
            }

            if (!headers.ContainsKey("Host") && uri.IsAbsoluteUri)
            {
                headers["Host"] = uri.Authority;
            }

            if (content is not null)
            {
                // Reading ContentLength computes it when the content knows its size, as the wire framing would carry it.
                var length = content.Headers.ContentLength;
                CanHaveBody = length is null or > 0;
                foreach (var header in content.Headers.NonValidated)
                {
                    AddHeader(headers, header.Key, header.Value);
                }

                requestFeature.Body = StartRequestBody(content);
            }
            else
            {
                requestFeature.Body = Stream.Null;
            }

            requestFeature.Headers = headers;

            features.Set<IHttpRequestFeature>(requestFeature);
            features.Set<IHttpResponseFeature>(this);
            features.Set<IHttpResponseBodyFeature>(this);
            features.Set<IHttpRequestLifetimeFeature>(this);
            features.Set<IHttpRequestIdentifierFeature>(this);
            features.Set<IHttpRequestBodyDetectionFeature>(this);
            features.Set<IHttpConnectionFeature>(this);
            return features;
        }

        private static void AddHeader(HeaderDictionary headers, string name, HeaderStringValues values)
        {
            StringValues value = values.Count == 1 ? values.ToString() : values.ToArray();
            if (headers.TryGetValue(name, out var existing))
            {
                headers[name] = StringValues.Concat(existing, value);
            }
            else
            {
                headers[name] = value;
            }
        }

        // A path a socket server would refuse to decode (an encoded NUL) is passed undecoded; RawTarget keeps the original.
        private static PathString DecodePath(string rawPath)
        {
            try
            {
                return PathString.FromUriComponent(rawPath);
            }
            catch (InvalidOperationException)
            {
                return new PathString(rawPath);
            }
        }

        private Stream StartRequestBody(HttpContent content)
        {
            var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024, useSynchronizationContext: false));
            _requestBodyCopy = CopyRequestBodyAsync(content, pipe.Writer, _aborted.Token);
            return pipe.Reader.AsStream();
        }

        private static async Task CopyRequestBodyAsync(HttpContent content, PipeWriter writer, CancellationToken cancellationToken)
        {
            try
            {
                // HttpContent.CopyToAsync works for every content type, including YARP's streaming request content.
                await content.CopyToAsync(writer.AsStream(leaveOpen: true), cancellationToken).ConfigureAwait(false);
                await writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await writer.CompleteAsync(new IOException("The request body could not be read.", ex)).ConfigureAwait(false);
            }
        }

        /// <summary>Fires OnStarting callbacks once, freezing status and headers.</summary>
        public async ValueTask EnsureStartedAsync()
        {
            Stack<(Func<object, Task> Callback, object State)>? callbacks;
            lock (_gate)
            {
                if (_started)
                {
                    return;
                }

                callbacks = _onStarting;
                _onStarting = null;
            }

            if (callbacks is not null)
            {
                while (callbacks.TryPop(out var entry))
                {
                    await entry.Callback(entry.State).ConfigureAwait(false);
                }
            }

            _started = true;
        }

        /// <summary>Switches from buffering to streaming: hands the response to the caller with a pipe-backed body.</summary>
        public void BeginStreaming(ReadOnlySpan<byte> buffered)
        {
            if (_streamingPipe is not null)
            {
                return;
            }

            var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false));
            if (!buffered.IsEmpty)
            {
                pipe.Writer.Write(buffered);
            }

            _streamingPipe = pipe;
            var content = new StreamContent(new ResponseReadStream(pipe.Reader, this));
            _response.TrySetResult(BuildResponse(content));
        }

        public PipeWriter? StreamingWriter => _streamingPipe?.Writer;

        public async Task FinishAsync(Exception? error)
        {
            try
            {
                if (error is not null && !_started)
                {
                    // As Kestrel: an unhandled exception before the response started is a bare 500.
                    lock (_gate)
                    {
                        _onStarting = null;
                    }

                    StatusCode = 500;
                    ReasonPhrase = null;
                    Headers.Clear();
                    _body.DiscardBuffer();
                }

                if (_writer is not null && error is null)
                {
                    await _writer.FlushAsync().ConfigureAwait(false);
                }

                await EnsureStartedAsync().ConfigureAwait(false);
                if (_streamingPipe is not null)
                {
                    await _streamingPipe.Writer.CompleteAsync(error is null ? null : new IOException("The application failed after the response started.", error)).ConfigureAwait(false);
                }
                else
                {
                    var bytes = _body.TakeBuffer();
                    var content = new ByteArrayContent(bytes.Array!, bytes.Offset, bytes.Count);
                    _response.TrySetResult(BuildResponse(content));
                }
            }
            catch (Exception ex)
            {
                _response.TrySetException(new HttpRequestException(HttpRequestError.InvalidResponse, "The application failed to produce a response.", ex));
            }
            finally
            {
                await FireOnCompletedAsync().ConfigureAwait(false);
                if (_requestBodyCopy is not null)
                {
                    await _requestBodyCopy.ConfigureAwait(false);
                }
            }
        }

        private async Task FireOnCompletedAsync()
        {
            Stack<(Func<object, Task> Callback, object State)>? callbacks;
            lock (_gate)
            {
                callbacks = _onCompleted;
                _onCompleted = null;
            }

            if (callbacks is null)
            {
                return;
            }

            while (callbacks.TryPop(out var entry))
            {
                try
                {
                    await entry.Callback(entry.State).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // As on Kestrel: an OnCompleted failure cannot affect the finished response.
                }
            }
        }

        public void Fail(Exception? error) =>
            _response.TrySetException(new HttpRequestException(HttpRequestError.InvalidResponse, "The application failed.", error));

        public void CancelBeforeResponse()
        {
            // The caller sees the cancellation even when aborting lets the application finish a response synchronously.
            _response.TrySetCanceled();
            _aborted.Cancel();
        }

        private HttpResponseMessage BuildResponse(HttpContent content)
        {
            var response = new HttpResponseMessage((HttpStatusCode)StatusCode)
            {
                RequestMessage = _request,
                Version = _request.Version,
                Content = content,
            };
            if (ReasonPhrase is not null)
            {
                response.ReasonPhrase = ReasonPhrase;
            }

            foreach (var header in Headers)
            {
                var value = header.Value;
                var added = value.Count == 1
                    ? response.Headers.TryAddWithoutValidation(header.Key, value.ToString())
                    : response.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)value);
                if (!added)
                {
                    _ = value.Count == 1
                        ? content.Headers.TryAddWithoutValidation(header.Key, value.ToString())
                        : content.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)value);
                }
            }

            return response;
        }

        // Sending files is rare on NNO's APIs; the default copies through the stream.
        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken) =>
            SendFileFallback.SendFileAsync(Stream, path, offset, count, cancellationToken);

        public Task StartAsync(CancellationToken cancellationToken = default) => EnsureStartedAsync().AsTask();

        public async Task CompleteAsync()
        {
            if (_writer is not null)
            {
                await _writer.FlushAsync().ConfigureAwait(false);
            }

            await EnsureStartedAsync().ConfigureAwait(false);
        }

        public void DisableBuffering()
        {
        }

        public void CancelFromReader() => _aborted.Cancel();
    }

    /// <summary>The application's response body: buffers, then streams into a pipe.</summary>
    private sealed class ResponseBodyStream(Exchange exchange) : Stream
    {
        private byte[] _buffer = [];
        private int _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public ArraySegment<byte> TakeBuffer()
        {
            var segment = new ArraySegment<byte>(_buffer, 0, _length);
            _buffer = [];
            _length = 0;
            return segment;
        }

        public void DiscardBuffer() => _length = 0;

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            await exchange.EnsureStartedAsync().ConfigureAwait(false);
            if (exchange.StreamingWriter is null)
            {
                exchange.BeginStreaming(_buffer.AsSpan(0, _length));
                _length = 0;
            }

            var result = await exchange.StreamingWriter!.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted)
            {
                exchange.CancelFromReader();
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await exchange.EnsureStartedAsync().ConfigureAwait(false);
            exchange.RequestAborted.ThrowIfCancellationRequested();
            var writer = exchange.StreamingWriter;
            if (writer is null)
            {
                if (_length + buffer.Length <= StreamingThreshold)
                {
                    Append(buffer.Span);
                    return;
                }

                exchange.BeginStreaming(_buffer.AsSpan(0, _length));
                _length = 0;
                writer = exchange.StreamingWriter!;
            }

            var result = await writer.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted)
            {
                // The reader went away (the caller disposed the response): stop the application.
                exchange.CancelFromReader();
                throw new OperationCanceledException("The caller stopped reading the response.");
            }
        }

        private void Append(ReadOnlySpan<byte> data)
        {
            if (_buffer.Length - _length < data.Length)
            {
                // The first write gets an exact-size buffer: most API responses are written in one piece.
                var next = new byte[_buffer.Length == 0 ? data.Length : Math.Max(Math.Max(_buffer.Length * 2, 512), _length + data.Length)];
                _buffer.AsSpan(0, _length).CopyTo(next);
                _buffer = next;
            }

            data.CopyTo(_buffer.AsSpan(_length));
            _length += data.Length;
        }
    }

    /// <summary>The caller's view of a streamed response body; disposing it early aborts the application.</summary>
    private sealed class ResponseReadStream(PipeReader reader, Exchange exchange) : Stream
    {
        private readonly Stream _inner = reader.AsStream();
        private bool _done;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _done = true;
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                if (!_done)
                {
                    exchange.CancelFromReader();
                }

                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
