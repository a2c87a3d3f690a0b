using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nno.Iam.SigningKeys;

/// <summary>A row of <c>signing_keys</c> (iam.md §2): one ES256 key and its lifecycle instants (Unix ms).</summary>
internal sealed class SigningKeyRecord
{
    public required string Kid { get; set; }

    public required string Alg { get; set; }

    /// <summary>The public key as a JWK (JSON).</summary>
    public required string PublicJwk { get; set; }

    /// <summary>The private key (SEC 1 DER), encrypted with ASP.NET Core Data Protection.</summary>
    public required byte[] PrivateKey { get; set; }

    public long CreatedAt { get; set; }

    /// <summary>When the key starts signing; it is published in the JWKS from <c>activates_at</c> minus the publish lead.</summary>
    public long ActivatesAt { get; set; }

    /// <summary>When the key stops signing.</summary>
    public long RetiresAt { get; set; }

    /// <summary>When the key leaves the JWKS and this table.</summary>
    public long PurgeAt { get; set; }
}

internal sealed class SigningKeyRecordConfiguration : IEntityTypeConfiguration<SigningKeyRecord>
{
    public void Configure(EntityTypeBuilder<SigningKeyRecord> builder)
    {
        builder.ToTable("signing_keys");
        builder.HasKey(k => k.Kid);
        builder.HasIndex(k => k.ActivatesAt);
    }
}
