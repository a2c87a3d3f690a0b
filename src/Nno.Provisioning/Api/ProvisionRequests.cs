using System.Text.Json;

namespace Nno.Provisioning.Api;

/// <summary>P1 body.</summary>
internal sealed record ProvisionPlatformRequest
{
    public string? PlatformId { get; init; }

    public string? PlanTier { get; init; }

    public string? BillingEmail { get; init; }

    public string? DefaultEntityId { get; init; }

    public string? Environment { get; init; }
}

/// <summary>P2 body.</summary>
internal sealed record DeprovisionPlatformRequest
{
    public string? PlatformId { get; init; }

    public string? Environment { get; init; }

    public string? Reason { get; init; }

    public bool? PurgeData { get; init; }
}

/// <summary>P3 body.</summary>
internal sealed record RedeployAuthWorkerRequest
{
    public string? PlatformId { get; init; }

    public string? Environment { get; init; }

    public bool? RotateSecrets { get; init; }

    public string? Reason { get; init; }
}

/// <summary>P4 body.</summary>
internal sealed record ActivateFeatureRequest
{
    public string? PlatformId { get; init; }

    public string? EntityId { get; init; }

    public string? FeatureId { get; init; }

    public string? FeatureVersion { get; init; }

    public string? Environment { get; init; }

    public string? StackId { get; init; }

    public JsonElement? Config { get; init; }
}

/// <summary>P5 body.</summary>
internal sealed record DeactivateFeatureRequest
{
    public string? PlatformId { get; init; }

    public string? EntityId { get; init; }

    public string? FeatureId { get; init; }

    public string? Environment { get; init; }

    public string? StackId { get; init; }

    public bool? DeleteData { get; init; }
}

/// <summary>P6 body.</summary>
internal sealed record ActivateStackRequest
{
    public string? PlatformId { get; init; }

    public string? EntityId { get; init; }

    public string? StackId { get; init; }

    public string? Environment { get; init; }

    public string? TemplateName { get; init; }

    public string? TemplateVersion { get; init; }

    public JsonElement? Definition { get; init; }
}

/// <summary>P7 body.</summary>
internal sealed record DeactivateStackRequest
{
    public string? PlatformId { get; init; }

    public string? StackId { get; init; }

    public bool? DeleteData { get; init; }

    public string? Environment { get; init; }
}

/// <summary>P8 body.</summary>
internal sealed record AddCustomDomainRequest
{
    public string? PlatformId { get; init; }

    public string? CustomDomainId { get; init; }

    public string? Domain { get; init; }

    public string? TargetHostname { get; init; }
}

/// <summary>P9 body.</summary>
internal sealed record RemoveCustomDomainRequest
{
    public string? PlatformId { get; init; }

    public string? CustomDomainId { get; init; }
}

/// <summary>P15 body: the value only lives in this request.</summary>
internal sealed record SecretValueRequest
{
    public string? Value { get; init; }
}

/// <summary>The 202 answer of P1–P9, P12, P14.</summary>
internal sealed record JobAccepted(string JobId, string Status);

/// <summary>P15 body: the secret's value (1 B–8 KiB of UTF-8). Held only for the request.</summary>
internal sealed record SetSecretRequest
{
    public string? Value { get; init; }

    /// <summary>Never prints the value (records print their properties by default).</summary>
    public override string ToString() => nameof(SetSecretRequest);
}

/// <summary>P15 answer.</summary>
internal sealed record SecretSet(string Name, string Worker, string Status);
