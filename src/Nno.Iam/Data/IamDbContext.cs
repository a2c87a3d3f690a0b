using Microsoft.EntityFrameworkCore;
using Nno.ServiceDefaults.Data;
using Nno.Iam.ApiKeys;
using Nno.Iam.Audit;
using Nno.Iam.Bootstrap;
using Nno.Iam.Devices;
using Nno.Iam.Invitations;
using Nno.Iam.Mail;
using Nno.Iam.Mfa;
using Nno.Iam.Organizations;
using Nno.Iam.Permissions;
using Nno.Iam.Platforms;
using Nno.Iam.Sessions;
using Nno.Iam.SignIn;
using Nno.Iam.SigningKeys;
using Nno.Iam.Users;
using Nno.Iam.Verifications;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Jobs;

namespace Nno.Iam.Data;

/// <summary>IAM's own database (<c>iam</c>, iam.md §2). Timestamps are Unix ms; table and column names are snake_case.</summary>
internal sealed class IamDbContext(DbContextOptions<IamDbContext> options) : DbContext(options)
{
    public DbSet<SigningKeyRecord> SigningKeys => Set<SigningKeyRecord>();

    public DbSet<AuditEventRecord> AuditEvents => Set<AuditEventRecord>();

    public DbSet<UserRecord> Users => Set<UserRecord>();

    public DbSet<AccountRecord> Accounts => Set<AccountRecord>();

    public DbSet<SessionRecord> Sessions => Set<SessionRecord>();

    public DbSet<VerificationRecord> Verifications => Set<VerificationRecord>();

    public DbSet<MfaFactorRecord> MfaFactors => Set<MfaFactorRecord>();

    public DbSet<SignInThrottleRecord> SignInThrottle => Set<SignInThrottleRecord>();

    public DbSet<OrganizationRecord> Organizations => Set<OrganizationRecord>();

    public DbSet<MemberRecord> Members => Set<MemberRecord>();

    public DbSet<PlatformMemberRecord> PlatformMembers => Set<PlatformMemberRecord>();

    public DbSet<InvitationRecord> Invitations => Set<InvitationRecord>();

    public DbSet<RolePermissionsRecord> RolePermissions => Set<RolePermissionsRecord>();

    public DbSet<PermissionGrantRecord> PermissionGrants => Set<PermissionGrantRecord>();

    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();

    public DbSet<DeviceCodeRecord> DeviceCodes => Set<DeviceCodeRecord>();

    public DbSet<EmailOutboxRecord> EmailOutbox => Set<EmailOutboxRecord>();

    public DbSet<DevMailboxRecord> DevMailbox => Set<DevMailboxRecord>();

    public DbSet<BootstrapStateRecord> BootstrapState => Set<BootstrapStateRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new SigningKeyRecordConfiguration());
        modelBuilder.ApplyConfiguration(new AuditEventRecordConfiguration());
        modelBuilder.ApplyConfiguration(new UserRecordConfiguration());
        modelBuilder.ApplyConfiguration(new AccountRecordConfiguration());
        modelBuilder.ApplyConfiguration(new SessionRecordConfiguration());
        modelBuilder.ApplyConfiguration(new VerificationRecordConfiguration());
        modelBuilder.ApplyConfiguration(new MfaFactorRecordConfiguration());
        modelBuilder.ApplyConfiguration(new SignInThrottleRecordConfiguration());
        modelBuilder.ApplyConfiguration(new OrganizationRecordConfiguration());
        modelBuilder.ApplyConfiguration(new MemberRecordConfiguration());
        modelBuilder.ApplyConfiguration(new PlatformMemberRecordConfiguration());
        modelBuilder.ApplyConfiguration(new InvitationRecordConfiguration());
        modelBuilder.ApplyConfiguration(new RolePermissionsRecordConfiguration());
        modelBuilder.ApplyConfiguration(new PermissionGrantRecordConfiguration());
        modelBuilder.ApplyConfiguration(new ApiKeyRecordConfiguration());
        modelBuilder.ApplyConfiguration(new DeviceCodeRecordConfiguration());
        modelBuilder.ApplyConfiguration(new EmailOutboxRecordConfiguration());
        modelBuilder.ApplyConfiguration(new DevMailboxRecordConfiguration());
        modelBuilder.ApplyConfiguration(new BootstrapStateRecordConfiguration());
        modelBuilder.AddNnoIdempotency();
        modelBuilder.AddNnoJobLeases();
        modelBuilder.ApplySnakeCaseNames();
    }
}
