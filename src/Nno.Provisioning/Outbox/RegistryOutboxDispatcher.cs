using System.Data.Common;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nno.Core.Services;
using Nno.Provisioning.Data;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Provisioning.Outbox;

/// <summary>
/// Delivers <c>registry_outbox</c> rows to the Registry (provisioning.md §4.8): one replica at a time (lease row
/// <c>provisioning.outbox</c>), FIFO per platform (a platform's rows wait behind its first unsent row; at most 50 per
/// platform per tick), <c>Idempotency-Key: prov-outbox:{seq}</c> on POSTs, <c>{registryId:…}</c> resolved at send time
/// (in the path the row waits until the id is known; a body value becomes null when it is not), retries 1 s → 5 min forever, an alert log after 1 h undelivered. A <c>provision-events</c> 404 naming
/// <c>job</c> is dropped; a bare 404 (a missing route) keeps retrying. A DELETE answered 404 with a resource is done.
/// </summary>
internal sealed partial class RegistryOutboxDispatcher(
    IServiceScopeFactory scopes,
    IHttpClientFactory httpClients,
    JobLeases<ProvisioningDbContext> leases,
    OutboxSignal signal,
    IOptions<ProvisioningOptions> options,
    TimeProvider time,
    ILogger<RegistryOutboxDispatcher> logger) : BackgroundService
{
    public const string LeaseName = "provisioning.outbox";

    private readonly string _holder = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
    private Task? _firstTick;

    private ProvisioningOptions.OutboxSettings Settings => options.Value.Outbox;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Armed here, so a fake clock moved right after start is seen (one-shot delays, never a PeriodicTimer).
        _firstTick = Task.Delay(TimeSpan.FromSeconds(Settings.PollSeconds), time, CancellationToken.None);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = _firstTick;
        Task? wake = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await PassAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is DbException or DbUpdateException)
                {
                    LogPassFailed(logger, ex);
                }

                tick ??= Task.Delay(TimeSpan.FromSeconds(Settings.PollSeconds), time, stoppingToken);
                wake ??= signal.WaitAsync(stoppingToken);
                if (await Task.WhenAny(tick, wake) == tick)
                {
                    await tick;
                    tick = null;
                }
                else
                {
                    await wake;
                    wake = null;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One pass; returns the rows sent.</summary>
    internal async Task<int> PassAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        var lease = await leases.TryAcquireAsync(LeaseName, _holder, now, now + 30_000, cancellationToken);
        if (!lease.Acquired)
        {
            var held = await leases.FindAsync(LeaseName, cancellationToken);
            if (held?.Holder != _holder)
            {
                return 0;
            }
        }

        List<string> platforms;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
            // Each platform's first unsent row decides: due → the platform is served, else it waits (FIFO). The platforms
            // with the oldest waiting row come first, so a tick's limit never starves one (and the order is defined).
            var heads = await db.Outbox.AsNoTracking().Where(o => o.SentAt == null)
                .GroupBy(o => o.PlatformId).Select(g => g.Min(o => o.Seq)).OrderBy(seq => seq).Take(Settings.PlatformsPerTick).ToListAsync(cancellationToken);
            platforms = await db.Outbox.AsNoTracking().Where(o => heads.Contains(o.Seq) && o.NextAttemptAt <= now)
                .Select(o => o.PlatformId).ToListAsync(cancellationToken);
        }

        var sent = 0;
        await Parallel.ForEachAsync(platforms, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (platformId, token) =>
        {
            var count = await SendPlatformAsync(platformId, token);
            Interlocked.Add(ref sent, count);
        });
        return sent;
    }

    private async Task<int> SendPlatformAsync(string platformId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var rows = await db.Outbox.Where(o => o.SentAt == null && o.PlatformId == platformId).OrderBy(o => o.Seq).Take(Settings.RowsPerPlatform).ToListAsync(cancellationToken);
        var sent = 0;
        foreach (var row in rows)
        {
            var now = Now();
            if (row.NextAttemptAt > now)
            {
                break;
            }

            var (done, capturedId, error, retryAfter) = await SendAsync(db, row, cancellationToken);
            row.Attempts++;
            if (done)
            {
                row.SentAt = Now();
                row.LastError = error;
                if (capturedId is not null && row.CaptureLedgerId is { } ledgerId)
                {
                    await db.Resources.Where(r => r.Id == ledgerId).ExecuteUpdateAsync(s => s.SetProperty(r => r.RegistryId, capturedId), cancellationToken);
                }

                await db.SaveChangesAsync(cancellationToken);
                sent++;
                continue;
            }

            var delay = Math.Min(Settings.RetryMaxSeconds, Settings.RetryBaseSeconds * Math.Pow(2, Math.Min(row.Attempts - 1, 30)));
            if (retryAfter is { } after && after.TotalSeconds > delay)
            {
                delay = Math.Min(after.TotalSeconds, 3600);
            }

            row.NextAttemptAt = now + (long)(delay * 1000);
            row.LastError = error;
            if (!row.Alerted && now - row.CreatedAt >= (long)(Settings.AlertAfterMinutes * 60_000))
            {
                row.Alerted = true;
                LogUndelivered(logger, row.Seq, row.PlatformId, row.Method, row.PathTemplate, row.Attempts, error);
            }

            await db.SaveChangesAsync(cancellationToken);
            // FIFO: the platform's later rows wait for this one.
            break;
        }

        return sent;
    }

    private async Task<(bool Done, string? CapturedId, string? Error, TimeSpan? RetryAfter)> SendAsync(ProvisioningDbContext db, RegistryOutboxRecord row, CancellationToken cancellationToken)
    {
        var path = row.PathTemplate;
        foreach (Match match in PlaceholderPattern().Matches(row.PathTemplate))
        {
            var ledgerId = match.Groups[1].Value;
            var registryId = await RegistryIdAsync(db, ledgerId, cancellationToken);
            if (registryId is null)
            {
                return (false, null, $"the Registry id of ledger row {ledgerId} is not known yet", null);
            }

            path = path.Replace(match.Value, Uri.EscapeDataString(registryId), StringComparison.Ordinal);
        }

        var body = row.BodyJson;
        if (body is not null)
        {
            // A body reference is a whole JSON string value. Every earlier row of the platform has been sent (FIFO), so an
            // id still unknown now never will be: the optional field goes as null instead of blocking the platform.
            foreach (var match in BodyPlaceholderPattern().Matches(body).Select(m => m.Value).Distinct(StringComparer.Ordinal).ToList())
            {
                var registryId = await RegistryIdAsync(db, match["\"{registryId:".Length..^2], cancellationToken);
                body = body.Replace(match, registryId is null ? "null" : JsonSerializer.Serialize(registryId), StringComparison.Ordinal);
            }
        }

        using var request = new HttpRequestMessage(new HttpMethod(row.Method), path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (row.Method == "POST")
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", "prov-outbox:" + row.Seq);
        }

        var http = httpClients.CreateClient(NnoServices.RegistryInfo.BindingName);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Settings.SendTimeoutSeconds), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, linked.Token);
        }
        catch (HttpRequestException ex)
        {
            return (false, null, "network: " + ex.Message, null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (false, null, "timeout", null);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return (true, IdOf(text), null, null);
            }

            var (code, resource) = ErrorOf(text);
            var error = $"{(int)response.StatusCode} {code ?? response.StatusCode.ToString()}" + (resource is null ? string.Empty : $" ({resource})");
            if (response.StatusCode == HttpStatusCode.NotFound && resource is not null)
            {
                if (RegistryReports.IsProvisionEvent(row.PathTemplate) && resource == "job")
                {
                    // Nothing references the job: the event has no reader.
                    return (true, null, "dropped: " + error, null);
                }

                if (row.Method == "DELETE")
                {
                    // Already gone.
                    return (true, null, error, null);
                }
            }

            return (false, null, error, RetryAfterOf(response));
        }
    }

    private static Task<string?> RegistryIdAsync(ProvisioningDbContext db, string ledgerId, CancellationToken cancellationToken) =>
        db.Resources.AsNoTracking().Where(r => r.Id == ledgerId).Select(r => r.RegistryId).FirstOrDefaultAsync(cancellationToken);

    private TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? retryAfter = response.Headers.RetryAfter;
        return retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - time.GetUtcNow() : null);
    }

    private static string? IdOf(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static (string? Code, string? Resource) ErrorOf(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                var resource = error.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("resource", out var r) && r.ValueKind == JsonValueKind.String
                    ? r.GetString()
                    : null;
                return (code, resource);
            }
        }
        catch (JsonException)
        {
            // Not an envelope: the status decides.
        }

        return (null, null);
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    [GeneratedRegex(@"\{registryId:(res_[a-z0-9]{20})\}", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderPattern();

    [GeneratedRegex(@"""\{registryId:res_[a-z0-9]{20}\}""", RegexOptions.CultureInvariant)]
    private static partial Regex BodyPlaceholderPattern();

    [LoggerMessage(EventName = "provisioning.outbox.undelivered", Level = LogLevel.Error, Message = "provisioning.outbox.undelivered: row {Seq} of platform {PlatformId} ({Method} {Path}) is undelivered after {Attempts} attempts over an hour: {Error}")]
    private static partial void LogUndelivered(ILogger logger, long seq, string platformId, string method, string path, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A registry outbox pass failed; the next tick tries again")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
