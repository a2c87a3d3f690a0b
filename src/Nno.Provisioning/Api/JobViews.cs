using System.Text.Json;
using System.Text.Json.Serialization;
using Nno.Provisioning.Data;

namespace Nno.Provisioning.Api;

/// <summary>A job error.</summary>
internal sealed record JobErrorView(string Code, string Message, string? Step);

/// <summary>A step error.</summary>
internal sealed record StepErrorView(string Code, string Message);

/// <summary>A step of P11.</summary>
internal sealed record StepView(
    int Seq, string Name, string Status, string? ResourceKind, string? ResourceName, string? CfResourceId, bool CreatedByJob, int Attempts,
    StepErrorView? Error, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, DateTimeOffset? UndoneAt)
{
    public static StepView From(ProvisionStepRecord s) => new(
        s.Seq, s.Name, s.Status, s.ResourceKind, s.ResourceName, s.CfId, s.CreatedByJob, s.Attempts,
        s.ErrorCode is null ? null : new StepErrorView(s.ErrorCode, s.ErrorMessage ?? string.Empty), At(s.StartedAt), At(s.CompletedAt), At(s.UndoneAt));

    internal static DateTimeOffset? At(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
}

/// <summary>The Job representation of provisioning.md §3 (P11; P10 items leave out <c>params</c> and <c>steps</c>).</summary>
internal sealed record JobView(
    string JobId, string Type, string Status, string PlatformId, string? Environment, string? EntityId, string? StackId, string? FeatureId,
    string? FeatureVersion, string? CustomDomainId, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Params, int RunNumber, int Attempts, bool Irreversible, JobErrorView? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<StepView>? Steps, string RequestedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt)
{
    public static JobView From(ProvisionJobRecord j, IReadOnlyList<ProvisionStepRecord>? steps) => new(
        j.Id, j.Type, j.Status, j.PlatformId, j.Environment, j.EntityId, j.StackId, j.FeatureId, j.FeatureVersion, j.CustomDomainId,
        steps is null ? null : ParamsOf(j.PayloadJson), j.RunNumber, j.Attempts, j.Irreversible,
        j.ErrorCode is null ? null : new JobErrorView(j.ErrorCode, j.ErrorMessage ?? string.Empty, j.ErrorStep),
        steps?.Select(StepView.From).ToList(), j.RequestedBy, DateTimeOffset.FromUnixTimeMilliseconds(j.CreatedAt),
        DateTimeOffset.FromUnixTimeMilliseconds(j.UpdatedAt), StepView.At(j.StartedAt), StepView.At(j.CompletedAt));

    /// <summary>The request parameters, without the billing address (personal data stays out of job views).</summary>
    private static JsonElement ParamsOf(string payloadJson)
    {
        using var doc = JsonDocument.Parse(payloadJson);
        var copy = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name != "billingEmail")
            {
                copy[property.Name] = property.Value.Clone();
            }
        }

        return JsonSerializer.SerializeToElement(copy);
    }
}

/// <summary>A P13 item.</summary>
internal sealed record DeadLetterView(
    string Id, string JobId, string PlatformId, string Type, string Phase, int RunNumber, string? LastError, int Attempts, DateTimeOffset DeadLetteredAt,
    DateTimeOffset? ReplayedAt);
