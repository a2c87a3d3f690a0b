using Microsoft.EntityFrameworkCore.Migrations;
using Nno.Registry.Data;

#nullable disable

namespace Nno.Registry.Data.Migrations
{
    /// <inheritdoc />
    public partial class InitialRegistry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_log",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: true),
                    actor_type = table.Column<string>(type: "TEXT", nullable: false),
                    actor_id = table.Column<string>(type: "TEXT", nullable: false),
                    actor_auth = table.Column<string>(type: "TEXT", nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    target_type = table.Column<string>(type: "TEXT", nullable: false),
                    target_id = table.Column<string>(type: "TEXT", nullable: false),
                    request_id = table.Column<string>(type: "TEXT", nullable: true),
                    trace_id = table.Column<string>(type: "TEXT", nullable: true),
                    details = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_log", x => x.id);
                    table.CheckConstraint("ck_audit_log_actor_auth", "actor_auth IN ('session', 'apikey', 'service', 'system')");
                    table.CheckConstraint("ck_audit_log_actor_type", "actor_type IN ('user', 'operator', 'service', 'system')");
                });

            migrationBuilder.CreateTable(
                name: "idempotency_keys",
                columns: table => new
                {
                    principal = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    request_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    status_code = table.Column<int>(type: "INTEGER", nullable: true),
                    content_type = table.Column<string>(type: "TEXT", nullable: true),
                    response_headers = table.Column<string>(type: "TEXT", nullable: true),
                    response_body = table.Column<byte[]>(type: "BLOB", nullable: true),
                    resource_id = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_idempotency_keys", x => new { x.principal, x.key });
                });

            migrationBuilder.CreateTable(
                name: "job_leases",
                columns: table => new
                {
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    holder = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    leased_until = table.Column<long>(type: "INTEGER", nullable: false),
                    last_run_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_leases", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "outbox",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    target_id = table.Column<string>(type: "TEXT", nullable: true),
                    payload = table.Column<string>(type: "TEXT", nullable: false),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    next_attempt_at = table.Column<long>(type: "INTEGER", nullable: false),
                    locked_by = table.Column<string>(type: "TEXT", nullable: true),
                    locked_until = table.Column<long>(type: "INTEGER", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    completed_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox", x => x.id);
                    table.CheckConstraint("ck_outbox_kind", "kind IN ('kv.platform_status', 'iam.create_org', 'iam.update_org', 'iam.delete_org', 'iam.put_platform_member', 'iam.transfer_owner', 'iam.remove_platform', 'iam.notify', 'billing.cancel', 'provisioning.activate_stack', 'provisioning.deactivate_stack', 'provisioning.activate_feature', 'provisioning.deactivate_feature', 'provisioning.add_custom_domain', 'provisioning.remove_custom_domain', 'provisioning.deprovision', 'cli.archive_repo')");
                });

            migrationBuilder.CreateTable(
                name: "platforms",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    slug = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    @class = table.Column<string>(name: "class", type: "TEXT", nullable: false, defaultValue: "platform"),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    tier = table.Column<string>(type: "TEXT", nullable: false, defaultValue: "starter"),
                    cf_account_id = table.Column<string>(type: "TEXT", nullable: true),
                    repo_name = table.Column<string>(type: "TEXT", nullable: true),
                    stripe_customer_id = table.Column<string>(type: "TEXT", nullable: true),
                    owner_user_id = table.Column<string>(type: "TEXT", nullable: true),
                    pending_owner_user_id = table.Column<string>(type: "TEXT", nullable: true),
                    transfer_expires_at = table.Column<long>(type: "INTEGER", nullable: true),
                    suspended_at = table.Column<long>(type: "INTEGER", nullable: true),
                    suspension_reason = table.Column<string>(type: "TEXT", nullable: true),
                    suspended_by = table.Column<string>(type: "TEXT", nullable: true),
                    cancelled_at = table.Column<long>(type: "INTEGER", nullable: true),
                    cancellation_reason = table.Column<string>(type: "TEXT", nullable: true),
                    cancel_effective_at = table.Column<long>(type: "INTEGER", nullable: true),
                    trial_ends_at = table.Column<long>(type: "INTEGER", nullable: true),
                    bootstrap_failed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    deprovision_job_id = table.Column<string>(type: "TEXT", nullable: true),
                    purged_at = table.Column<long>(type: "INTEGER", nullable: true),
                    version = table.Column<long>(type: "INTEGER", nullable: false, defaultValue: 1L),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    deleted_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_platforms", x => x.id);
                    table.CheckConstraint("ck_platforms_class", "class IN ('platform', 'user_project')");
                    table.CheckConstraint("ck_platforms_status", "status IN ('pending', 'provisioning', 'active', 'suspended', 'pending_cancellation', 'cancelled', 'deleted')");
                    table.CheckConstraint("ck_platforms_tier", "tier IN ('starter', 'growth', 'scale')");
                });

            migrationBuilder.CreateTable(
                name: "scheduler_leases",
                columns: table => new
                {
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    owner = table.Column<string>(type: "TEXT", nullable: false),
                    lease_until = table.Column<long>(type: "INTEGER", nullable: false),
                    cursor = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_scheduler_leases", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "entities",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    parent_id = table.Column<string>(type: "TEXT", nullable: true),
                    type = table.Column<string>(type: "TEXT", nullable: false),
                    depth = table.Column<int>(type: "INTEGER", nullable: false),
                    is_default = table.Column<bool>(type: "INTEGER", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    slug = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    iam_org_id = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    created_by = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    deleted_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_entities", x => x.id);
                    table.CheckConstraint("ck_entities_depth", "depth BETWEEN 0 AND 2");
                    table.CheckConstraint("ck_entities_status", "status IN ('pending', 'active', 'deleted')");
                    table.CheckConstraint("ck_entities_type", "type IN ('tenant', 'sub_tenant')");
                    table.ForeignKey(
                        name: "fk_entities_entities_parent_id",
                        column: x => x.parent_id,
                        principalTable: "entities",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_entities_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "onboarding_sessions",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    owner_user_id = table.Column<string>(type: "TEXT", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", nullable: false),
                    idempotency_key = table.Column<string>(type: "TEXT", nullable: true),
                    request_hash = table.Column<string>(type: "TEXT", nullable: false),
                    platform_name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    slug = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    tier = table.Column<string>(type: "TEXT", nullable: false),
                    billing_email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    stack_template_id = table.Column<string>(type: "TEXT", nullable: true),
                    stack_template_version = table.Column<string>(type: "TEXT", nullable: true),
                    environment = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    steps = table.Column<string>(type: "TEXT", nullable: false),
                    current_step = table.Column<string>(type: "TEXT", nullable: true),
                    attempt = table.Column<int>(type: "INTEGER", nullable: false),
                    provision_job_id = table.Column<string>(type: "TEXT", nullable: true),
                    build_id = table.Column<string>(type: "TEXT", nullable: true),
                    template_stack_id = table.Column<string>(type: "TEXT", nullable: true),
                    error = table.Column<string>(type: "TEXT", nullable: true),
                    lease_owner = table.Column<string>(type: "TEXT", nullable: true),
                    lease_until = table.Column<long>(type: "INTEGER", nullable: true),
                    next_run_at = table.Column<long>(type: "INTEGER", nullable: true),
                    cleanup_done = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    completed_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_onboarding_sessions", x => x.id);
                    table.CheckConstraint("ck_onboarding_sessions_current_step", "current_step IS NULL OR current_step IN ('create_platform', 'provision_infra', 'setup_repo', 'deploy_services', 'verify')");
                    table.CheckConstraint("ck_onboarding_sessions_environment", "environment IN ('dev', 'stg', 'prod')");
                    table.CheckConstraint("ck_onboarding_sessions_status", "status IN ('pending', 'running', 'completed', 'failed', 'cancelled')");
                    table.CheckConstraint("ck_onboarding_sessions_tier", "tier IN ('starter', 'growth', 'scale')");
                    table.ForeignKey(
                        name: "fk_onboarding_sessions_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "platform_build_state",
                columns: table => new
                {
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    environment = table.Column<string>(type: "TEXT", nullable: false),
                    repo_full_name = table.Column<string>(type: "TEXT", nullable: true),
                    default_branch = table.Column<string>(type: "TEXT", nullable: true),
                    pages_project = table.Column<string>(type: "TEXT", nullable: true),
                    last_build_id = table.Column<string>(type: "TEXT", nullable: true),
                    last_commit_sha = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    url = table.Column<string>(type: "TEXT", nullable: true),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_platform_build_state", x => new { x.platform_id, x.environment });
                    table.CheckConstraint("ck_platform_build_state_environment", "environment IN ('dev', 'stg', 'prod')");
                    table.CheckConstraint("ck_platform_build_state_status", "status IN ('none', 'queued', 'building', 'success', 'failure')");
                    table.ForeignKey(
                        name: "fk_platform_build_state_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "platform_environments",
                columns: table => new
                {
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    environment = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    provision_job_id = table.Column<string>(type: "TEXT", nullable: true),
                    provisioned_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_platform_environments", x => new { x.platform_id, x.environment });
                    table.CheckConstraint("ck_platform_environments_environment", "environment IN ('dev', 'stg', 'prod')");
                    table.CheckConstraint("ck_platform_environments_status", "status IN ('provisioning', 'active', 'failed', 'removing', 'removed')");
                    table.ForeignKey(
                        name: "fk_platform_environments_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "platform_lifecycle_events",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    @event = table.Column<string>(name: "event", type: "TEXT", nullable: false),
                    from_status = table.Column<string>(type: "TEXT", nullable: true),
                    to_status = table.Column<string>(type: "TEXT", nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    actor_type = table.Column<string>(type: "TEXT", nullable: false),
                    actor_id = table.Column<string>(type: "TEXT", nullable: true),
                    request_id = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_platform_lifecycle_events", x => x.id);
                    table.CheckConstraint("ck_platform_lifecycle_events_actor_type", "actor_type IN ('user', 'operator', 'service', 'system')");
                    table.CheckConstraint("ck_platform_lifecycle_events_event", "event IN ('created', 'bootstrap', 'complete', 'suspend', 'restore', 'cancel', 'resume', 'period_end', 'delete', 'purge', 'owner_changed')");
                    table.CheckConstraint("ck_platform_lifecycle_events_from_status", "from_status IS NULL OR from_status IN ('pending', 'provisioning', 'active', 'suspended', 'pending_cancellation', 'cancelled', 'deleted')");
                    table.CheckConstraint("ck_platform_lifecycle_events_to_status", "to_status IN ('pending', 'provisioning', 'active', 'suspended', 'pending_cancellation', 'cancelled', 'deleted')");
                    table.ForeignKey(
                        name: "fk_platform_lifecycle_events_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "resources",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    stack_id = table.Column<string>(type: "TEXT", nullable: false),
                    entity_id = table.Column<string>(type: "TEXT", nullable: true),
                    feature_id = table.Column<string>(type: "TEXT", nullable: true),
                    type = table.Column<string>(type: "TEXT", nullable: false),
                    logical_name = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    cf_name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    cf_resource_id = table.Column<string>(type: "TEXT", nullable: true),
                    environment = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    provision_job_id = table.Column<string>(type: "TEXT", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    deleted_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_resources", x => x.id);
                    table.CheckConstraint("ck_resources_environment", "environment IN ('dev', 'stg', 'prod')");
                    table.CheckConstraint("ck_resources_status", "status IN ('pending', 'provisioning', 'active', 'failed', 'deleting', 'deleted')");
                    table.CheckConstraint("ck_resources_type", "type IN ('worker', 'pages', 'd1', 'r2', 'kv', 'queue')");
                    table.ForeignKey(
                        name: "fk_resources_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "feature_activations",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    entity_id = table.Column<string>(type: "TEXT", nullable: false),
                    stack_id = table.Column<string>(type: "TEXT", nullable: false, defaultValue: "default"),
                    feature_id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    feature_version = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    environment = table.Column<string>(type: "TEXT", nullable: false),
                    source = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    config = table.Column<string>(type: "TEXT", nullable: false),
                    provision_job_id = table.Column<string>(type: "TEXT", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    activated_at = table.Column<long>(type: "INTEGER", nullable: true),
                    deactivated_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_by = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_feature_activations", x => x.id);
                    table.CheckConstraint("ck_feature_activations_environment", "environment IN ('dev', 'stg', 'prod')");
                    table.CheckConstraint("ck_feature_activations_source", "source IN ('standalone', 'stack')");
                    table.CheckConstraint("ck_feature_activations_status", "status IN ('pending', 'provisioning', 'active', 'deactivating', 'inactive', 'failed')");
                    table.ForeignKey(
                        name: "fk_feature_activations_entities_entity_id",
                        column: x => x.entity_id,
                        principalTable: "entities",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_feature_activations_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "stacks",
                columns: table => new
                {
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    id = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    entity_id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    display_name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    is_default = table.Column<bool>(type: "INTEGER", nullable: false),
                    source = table.Column<string>(type: "TEXT", nullable: false),
                    template_id = table.Column<string>(type: "TEXT", nullable: true),
                    template_version = table.Column<string>(type: "TEXT", nullable: true),
                    definition = table.Column<string>(type: "TEXT", nullable: true),
                    environment = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    provision_job_id = table.Column<string>(type: "TEXT", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    created_by = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    deleted_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_stacks", x => new { x.platform_id, x.id });
                    table.CheckConstraint("ck_stacks_environment", "environment IN ('dev', 'stg', 'prod')");
                    table.CheckConstraint("ck_stacks_source", "source IN ('default', 'template', 'custom')");
                    table.CheckConstraint("ck_stacks_status", "status IN ('pending', 'provisioning', 'active', 'failed', 'deprovisioning', 'deleted')");
                    table.ForeignKey(
                        name: "fk_stacks_entities_entity_id",
                        column: x => x.entity_id,
                        principalTable: "entities",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_stacks_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "dns_records",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    stack_id = table.Column<string>(type: "TEXT", nullable: true),
                    resource_id = table.Column<string>(type: "TEXT", nullable: true),
                    environment = table.Column<string>(type: "TEXT", nullable: false),
                    hostname = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    record_type = table.Column<string>(type: "TEXT", nullable: false),
                    target = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    cf_custom_hostname_id = table.Column<string>(type: "TEXT", nullable: true),
                    ssl_status = table.Column<string>(type: "TEXT", nullable: false),
                    ssl_error = table.Column<string>(type: "TEXT", nullable: true),
                    activated_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    deleted_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_dns_records", x => x.id);
                    table.CheckConstraint("ck_dns_records_environment", "environment IN ('dev', 'stg', 'prod')");
                    table.CheckConstraint("ck_dns_records_record_type", "record_type IN ('custom_hostname', 'custom_domain')");
                    table.CheckConstraint("ck_dns_records_ssl_status", "ssl_status IN ('pending', 'active', 'failed')");
                    table.ForeignKey(
                        name: "fk_dns_records_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_dns_records_resources_resource_id",
                        column: x => x.resource_id,
                        principalTable: "resources",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "secrets",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    resource_id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    environment = table.Column<string>(type: "TEXT", nullable: false),
                    source = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    last_set_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_set_by = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_secrets", x => x.id);
                    table.CheckConstraint("ck_secrets_environment", "environment IN ('dev', 'stg', 'prod')");
                    table.CheckConstraint("ck_secrets_source", "source IN ('system', 'customer')");
                    table.CheckConstraint("ck_secrets_status", "status IN ('pending', 'set', 'failed', 'deleted')");
                    table.ForeignKey(
                        name: "fk_secrets_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_secrets_resources_resource_id",
                        column: x => x.resource_id,
                        principalTable: "resources",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "custom_domains",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    stack_id = table.Column<string>(type: "TEXT", nullable: false),
                    dns_record_id = table.Column<string>(type: "TEXT", nullable: true),
                    domain = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    target_hostname = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    ssl_status = table.Column<string>(type: "TEXT", nullable: false),
                    verification_records = table.Column<string>(type: "TEXT", nullable: false),
                    provision_job_id = table.Column<string>(type: "TEXT", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    created_by = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    activated_at = table.Column<long>(type: "INTEGER", nullable: true),
                    deleted_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_custom_domains", x => x.id);
                    table.CheckConstraint("ck_custom_domains_ssl_status", "ssl_status IN ('pending', 'active', 'failed')");
                    table.CheckConstraint("ck_custom_domains_status", "status IN ('pending', 'active', 'failed', 'removing', 'removed')");
                    table.ForeignKey(
                        name: "fk_custom_domains_dns_records_dns_record_id",
                        column: x => x.dns_record_id,
                        principalTable: "dns_records",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_custom_domains_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_action_created_at",
                table: "audit_log",
                columns: new[] { "action", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_actor_id_created_at",
                table: "audit_log",
                columns: new[] { "actor_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_created_at_id",
                table: "audit_log",
                columns: new[] { "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_platform_id_created_at_id",
                table: "audit_log",
                columns: new[] { "platform_id", "created_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_custom_domains_dns_record_id",
                table: "custom_domains",
                column: "dns_record_id");

            migrationBuilder.CreateIndex(
                name: "ix_custom_domains_platform_id_created_at_id",
                table: "custom_domains",
                columns: new[] { "platform_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_custom_domains_provision_job_id",
                table: "custom_domains",
                column: "provision_job_id");

            migrationBuilder.CreateIndex(
                name: "ux_custom_domains_domain_live",
                table: "custom_domains",
                column: "domain",
                unique: true,
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_dns_records_platform_id_created_at_id",
                table: "dns_records",
                columns: new[] { "platform_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_dns_records_resource_id",
                table: "dns_records",
                column: "resource_id");

            migrationBuilder.CreateIndex(
                name: "ux_dns_records_hostname_live",
                table: "dns_records",
                column: "hostname",
                unique: true,
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_entities_parent_id",
                table: "entities",
                column: "parent_id");

            migrationBuilder.CreateIndex(
                name: "ix_entities_platform_id_parent_id_created_at_id",
                table: "entities",
                columns: new[] { "platform_id", "parent_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ux_entities_iam_org_id",
                table: "entities",
                column: "iam_org_id",
                unique: true,
                filter: "iam_org_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ux_entities_platform_id_default",
                table: "entities",
                column: "platform_id",
                unique: true,
                filter: "is_default = 1");

            migrationBuilder.CreateIndex(
                name: "ux_entities_platform_id_slug_live",
                table: "entities",
                columns: new[] { "platform_id", "slug" },
                unique: true,
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_feature_activations_platform_id_created_at_id",
                table: "feature_activations",
                columns: new[] { "platform_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_feature_activations_platform_id_entity_id_created_at_id",
                table: "feature_activations",
                columns: new[] { "platform_id", "entity_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_feature_activations_platform_id_stack_id_feature_id_environment",
                table: "feature_activations",
                columns: new[] { "platform_id", "stack_id", "feature_id", "environment" });

            migrationBuilder.CreateIndex(
                name: "ix_feature_activations_platform_id_status_feature_id",
                table: "feature_activations",
                columns: new[] { "platform_id", "status", "feature_id" });

            migrationBuilder.CreateIndex(
                name: "ix_feature_activations_provision_job_id",
                table: "feature_activations",
                column: "provision_job_id");

            migrationBuilder.CreateIndex(
                name: "ux_feature_activations_entity_id_stack_id_feature_id_environment",
                table: "feature_activations",
                columns: new[] { "entity_id", "stack_id", "feature_id", "environment" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_keys_expires_at",
                table: "idempotency_keys",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_onboarding_sessions_created_by_created_at",
                table: "onboarding_sessions",
                columns: new[] { "created_by", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_onboarding_sessions_owner_user_id_status",
                table: "onboarding_sessions",
                columns: new[] { "owner_user_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_onboarding_sessions_status_next_run_at",
                table: "onboarding_sessions",
                columns: new[] { "status", "next_run_at" });

            migrationBuilder.CreateIndex(
                name: "ux_onboarding_sessions_created_by_idempotency_key",
                table: "onboarding_sessions",
                columns: new[] { "created_by", "idempotency_key" },
                unique: true,
                filter: "idempotency_key IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ux_onboarding_sessions_platform_id",
                table: "onboarding_sessions",
                column: "platform_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_outbox_completed_at_done",
                table: "outbox",
                column: "completed_at",
                filter: "completed_at IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_next_attempt_at_pending",
                table: "outbox",
                column: "next_attempt_at",
                filter: "completed_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_platform_build_state_status_in_flight",
                table: "platform_build_state",
                column: "status",
                filter: "status IN ('queued', 'building')");

            migrationBuilder.CreateIndex(
                name: "ix_platform_environments_provision_job_id",
                table: "platform_environments",
                column: "provision_job_id");

            migrationBuilder.CreateIndex(
                name: "ix_platform_lifecycle_events_platform_id_created_at_id",
                table: "platform_lifecycle_events",
                columns: new[] { "platform_id", "created_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_platforms_created_at_id",
                table: "platforms",
                columns: new[] { "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_platforms_owner_user_id_created_at_id",
                table: "platforms",
                columns: new[] { "owner_user_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_platforms_status_cancel_effective_at",
                table: "platforms",
                columns: new[] { "status", "cancel_effective_at" });

            migrationBuilder.CreateIndex(
                name: "ix_platforms_status_created_at_id",
                table: "platforms",
                columns: new[] { "status", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ux_platforms_slug_live",
                table: "platforms",
                column: "slug",
                unique: true,
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_resources_platform_id_created_at_id",
                table: "resources",
                columns: new[] { "platform_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_resources_platform_id_stack_id_environment",
                table: "resources",
                columns: new[] { "platform_id", "stack_id", "environment" });

            migrationBuilder.CreateIndex(
                name: "ix_resources_provision_job_id",
                table: "resources",
                column: "provision_job_id");

            migrationBuilder.CreateIndex(
                name: "ux_resources_platform_id_environment_type_cf_name_live",
                table: "resources",
                columns: new[] { "platform_id", "environment", "type", "cf_name" },
                unique: true,
                filter: "deleted_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_secrets_platform_id_created_at_id",
                table: "secrets",
                columns: new[] { "platform_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ux_secrets_resource_id_name",
                table: "secrets",
                columns: new[] { "resource_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_stacks_entity_id",
                table: "stacks",
                column: "entity_id");

            migrationBuilder.CreateIndex(
                name: "ix_stacks_platform_id_created_at_id",
                table: "stacks",
                columns: new[] { "platform_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_stacks_provision_job_id",
                table: "stacks",
                column: "provision_job_id");

            migrationBuilder.CreateIndex(
                name: "ux_stacks_platform_id_default",
                table: "stacks",
                column: "platform_id",
                unique: true,
                filter: "is_default = 1");

            migrationBuilder.CreateIndex(
                name: "ux_stacks_platform_id_name_live",
                table: "stacks",
                columns: new[] { "platform_id", "name" },
                unique: true,
                filter: "deleted_at IS NULL");

            // registry.md §2: audit_log and platform_lifecycle_events are append-only. The audit retention written here is
            // the default; AuditRetentionTriggerAtStart recreates that trigger when Registry:AuditRetentionDays differs.
            migrationBuilder.Sql(AppendOnlyTriggers.AuditNoUpdateSql);
            migrationBuilder.Sql(AppendOnlyTriggers.AuditRetentionSql(400));
            migrationBuilder.Sql(AppendOnlyTriggers.LifecycleNoUpdateSql);
            migrationBuilder.Sql(AppendOnlyTriggers.LifecycleNoDeleteSql);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS " + AppendOnlyTriggers.AuditNoUpdate + ";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS " + AppendOnlyTriggers.AuditRetention + ";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS " + AppendOnlyTriggers.LifecycleNoUpdate + ";");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS " + AppendOnlyTriggers.LifecycleNoDelete + ";");

            migrationBuilder.DropTable(
                name: "audit_log");

            migrationBuilder.DropTable(
                name: "custom_domains");

            migrationBuilder.DropTable(
                name: "feature_activations");

            migrationBuilder.DropTable(
                name: "idempotency_keys");

            migrationBuilder.DropTable(
                name: "job_leases");

            migrationBuilder.DropTable(
                name: "onboarding_sessions");

            migrationBuilder.DropTable(
                name: "outbox");

            migrationBuilder.DropTable(
                name: "platform_build_state");

            migrationBuilder.DropTable(
                name: "platform_environments");

            migrationBuilder.DropTable(
                name: "platform_lifecycle_events");

            migrationBuilder.DropTable(
                name: "scheduler_leases");

            migrationBuilder.DropTable(
                name: "secrets");

            migrationBuilder.DropTable(
                name: "stacks");

            migrationBuilder.DropTable(
                name: "dns_records");

            migrationBuilder.DropTable(
                name: "entities");

            migrationBuilder.DropTable(
                name: "resources");

            migrationBuilder.DropTable(
                name: "platforms");
        }
    }
}
