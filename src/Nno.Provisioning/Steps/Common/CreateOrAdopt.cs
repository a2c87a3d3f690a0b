using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Data;
using Nno.Provisioning.Jobs;
using Nno.Provisioning.Outbox;

namespace Nno.Provisioning.Steps.Common;

/// <summary>
/// The check → create pattern of provisioning.md §4.3 for one resource of a step. A step that makes one resource uses the
/// step's own <c>create_attempts</c>; a step that makes several (hostname + route, hostname + Pages domain) also keeps a
/// counter per part in <c>output_json</c> (<c>{"parts": {"route": {"attempts", "id", "created"}}}</c>), persisted with
/// <c>create_attempts + 1</c> before each create call, so each part is judged "found while never tried = adopted, found
/// after a create call = ours" on its own.
/// </summary>
internal static class CreateOrAdopt
{
    private const string Parts = "parts";

    /// <summary>Create calls made so far for <paramref name="part"/> (the step's own counter when null).</summary>
    public static int Attempts(StepContext context, string? part)
    {
        ArgumentNullException.ThrowIfNull(context);
        return part is null ? context.Step.CreateAttempts : (int?)PartNode(context, part)["attempts"] ?? 0;
    }

    /// <summary>The Cloudflare id remembered for <paramref name="part"/> in this run, with whether this job created it.</summary>
    public static (string? Id, bool Created) Remembered(StepContext context, string part)
    {
        ArgumentNullException.ThrowIfNull(context);
        var node = PartNode(context, part);
        return ((string?)node["id"], (bool?)node["created"] ?? false);
    }

    /// <summary>Remembers a part's id and ownership in <c>output_json</c> (saved with the next save).</summary>
    public static void Remember(StepContext context, string part, string id, bool created)
    {
        ArgumentNullException.ThrowIfNull(context);
        var node = PartNode(context, part);
        node["id"] = id;
        node["created"] = created;
    }

    /// <summary>Persists <c>create_attempts + 1</c> (and the part's counter) before a create call.</summary>
    public static async Task BeforeCreateAsync(StepContext context, string? part, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (part is not null)
        {
            var node = PartNode(context, part);
            node["attempts"] = ((int?)node["attempts"] ?? 0) + 1;
        }

        await context.BeforeCreateAsync(cancellationToken);
    }

    /// <summary>
    /// Checks, then creates when absent. Found while never tried → adopted; found after a create call → ours (a lost
    /// answer). A conflict on the create call is resolved by <paramref name="lookup"/> (the check again, or a list):
    /// ours when an earlier create call may have made it.
    /// </summary>
    public static async Task<(T Item, bool Ours)> RunAsync<T>(
        StepContext context, string? part, Func<Task<T?>>? check, Func<Task<T>> create, Func<Task<T?>> lookup, CancellationToken cancellationToken,
        Func<CloudflareApiException, bool>? isConflict = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(lookup);
        if (check is not null && await check() is { } found)
        {
            return (found, Attempts(context, part) > 0);
        }

        await BeforeCreateAsync(context, part, cancellationToken);
        try
        {
            return (await create(), true);
        }
        catch (CloudflareApiException ex) when (ex.Kind == CloudflareFailureKind.ApiError && (isConflict ?? (e => e.IsConflict))(ex))
        {
            if (await lookup() is { } existing)
            {
                return (existing, Attempts(context, part) > 1);
            }

            if (!ex.IsConflict)
            {
                // A refusal that only looked like a conflict: the original error stands.
                throw;
            }

            throw StepFailureException.Transient(JobErrorCodes.CfApiError, "Cloudflare reported a conflict but the resource cannot be found yet: " + ex.Message, null, ex);
        }
    }

    /// <summary>
    /// Marks the active ledger row (<paramref name="kind"/>, <paramref name="name"/>) deleted when this job created it,
    /// with the reports <paramref name="reports"/> builds; nothing when there is none.
    /// </summary>
    public static async Task MarkOursDeletedAsync(StepContext context, string kind, string name,
        Func<CfResourceRecord, IEnumerable<RegistryOutboxRecord>>? reports, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var row = await context.FindLedgerAsync(kind, name, cancellationToken);
        if (row is not null && row.CreatedByJobId == context.Job.Id)
        {
            await context.MarkDeletedAsync(row, reports, cancellationToken);
        }
    }

    /// <summary>Whether the Registry was ever told about the ledger row (its DELETE needs the Registry id that report returns).</summary>
    public static Task<bool> WasReportedAsync(StepContext context, CfResourceRecord row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(row);
        var id = row.Id;
        return context.Db.Outbox.AnyAsync(o => o.CaptureLedgerId == id, cancellationToken);
    }

    private static JsonObject PartNode(StepContext context, string part)
    {
        if (context.Output[Parts] is not JsonObject parts)
        {
            parts = [];
            context.Output[Parts] = parts;
        }

        if (parts[part] is not JsonObject node)
        {
            node = [];
            parts[part] = node;
        }

        return node;
    }
}
