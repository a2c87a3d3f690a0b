using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nno.Provisioning.Data.Migrations
{
    /// <inheritdoc />
    public partial class ProvisioningJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "cf_resources",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    environment = table.Column<string>(type: "TEXT", nullable: true),
                    stack_id = table.Column<string>(type: "TEXT", nullable: true),
                    feature_id = table.Column<string>(type: "TEXT", nullable: true),
                    custom_domain_id = table.Column<string>(type: "TEXT", nullable: true),
                    kind = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    cf_id = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    ssl_status = table.Column<string>(type: "TEXT", nullable: true),
                    registry_id = table.Column<string>(type: "TEXT", nullable: true),
                    meta_json = table.Column<string>(type: "TEXT", nullable: false),
                    created_by_job_id = table.Column<string>(type: "TEXT", nullable: false),
                    deleted_by_job_id = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    deleted_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_cf_resources", x => x.id);
                    table.CheckConstraint("ck_cf_resources_kind", "kind IN ('d1', 'worker', 'worker_secret', 'r2', 'kv', 'queue', 'pages_project', 'pages_domain', 'custom_hostname', 'worker_route')");
                    table.CheckConstraint("ck_cf_resources_status", "status IN ('active', 'deleted')");
                });

            migrationBuilder.CreateTable(
                name: "dead_letters",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    job_id = table.Column<string>(type: "TEXT", nullable: false),
                    run_number = table.Column<int>(type: "INTEGER", nullable: false),
                    phase = table.Column<string>(type: "TEXT", nullable: false),
                    message_json = table.Column<string>(type: "TEXT", nullable: false),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    dead_lettered_at = table.Column<long>(type: "INTEGER", nullable: false),
                    replayed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    replayed_by = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_dead_letters", x => x.id);
                    table.CheckConstraint("ck_dead_letters_phase", "phase IN ('forward', 'rollback')");
                });

            migrationBuilder.CreateTable(
                name: "feature_usages",
                columns: table => new
                {
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    environment = table.Column<string>(type: "TEXT", nullable: false),
                    stack_id = table.Column<string>(type: "TEXT", nullable: false),
                    feature_id = table.Column<string>(type: "TEXT", nullable: false),
                    entity_id = table.Column<string>(type: "TEXT", nullable: false),
                    feature_version = table.Column<string>(type: "TEXT", nullable: false),
                    job_id = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_feature_usages", x => new { x.platform_id, x.environment, x.stack_id, x.feature_id, x.entity_id });
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
                name: "provision_jobs",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    type = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    environment = table.Column<string>(type: "TEXT", nullable: true),
                    entity_id = table.Column<string>(type: "TEXT", nullable: true),
                    stack_id = table.Column<string>(type: "TEXT", nullable: true),
                    feature_id = table.Column<string>(type: "TEXT", nullable: true),
                    feature_version = table.Column<string>(type: "TEXT", nullable: true),
                    custom_domain_id = table.Column<string>(type: "TEXT", nullable: true),
                    target_key = table.Column<string>(type: "TEXT", nullable: false),
                    queue_key = table.Column<string>(type: "TEXT", nullable: false),
                    payload_json = table.Column<string>(type: "TEXT", nullable: false),
                    request_hash = table.Column<string>(type: "TEXT", nullable: false),
                    idempotency_key = table.Column<string>(type: "TEXT", nullable: true),
                    run_number = table.Column<int>(type: "INTEGER", nullable: false),
                    phase = table.Column<string>(type: "TEXT", nullable: false),
                    irreversible = table.Column<bool>(type: "INTEGER", nullable: false),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    deferrals = table.Column<int>(type: "INTEGER", nullable: false),
                    next_run_at = table.Column<long>(type: "INTEGER", nullable: false),
                    lease_owner = table.Column<string>(type: "TEXT", nullable: true),
                    lease_expires_at = table.Column<long>(type: "INTEGER", nullable: true),
                    enqueue_pending = table.Column<bool>(type: "INTEGER", nullable: false),
                    queued_reported_run = table.Column<int>(type: "INTEGER", nullable: false),
                    running_reported_run = table.Column<int>(type: "INTEGER", nullable: false),
                    error_code = table.Column<string>(type: "TEXT", nullable: true),
                    error_message = table.Column<string>(type: "TEXT", nullable: true),
                    error_step = table.Column<string>(type: "TEXT", nullable: true),
                    requested_by = table.Column<string>(type: "TEXT", nullable: false),
                    request_id = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    completed_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_provision_jobs", x => x.id);
                    table.CheckConstraint("ck_provision_jobs_environment", "environment IS NULL OR environment IN ('dev', 'stg', 'prod')");
                    table.CheckConstraint("ck_provision_jobs_phase", "phase IN ('forward', 'rollback')");
                    table.CheckConstraint("ck_provision_jobs_status", "status IN ('PENDING', 'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK', 'ROLLBACK_FAILED')");
                    table.CheckConstraint("ck_provision_jobs_type", "type IN ('PROVISION_PLATFORM', 'DEPROVISION_PLATFORM', 'REDEPLOY_AUTH_WORKER', 'ACTIVATE_FEATURE', 'DEACTIVATE_FEATURE', 'ACTIVATE_STACK', 'DEACTIVATE_STACK', 'ADD_CUSTOM_DOMAIN', 'REMOVE_CUSTOM_DOMAIN')");
                });

            migrationBuilder.CreateTable(
                name: "registry_outbox",
                columns: table => new
                {
                    seq = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    method = table.Column<string>(type: "TEXT", nullable: false),
                    path_template = table.Column<string>(type: "TEXT", nullable: false),
                    body_json = table.Column<string>(type: "TEXT", nullable: true),
                    capture_ledger_id = table.Column<string>(type: "TEXT", nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    next_attempt_at = table.Column<long>(type: "INTEGER", nullable: false),
                    sent_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_error = table.Column<string>(type: "TEXT", nullable: true),
                    alerted = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_registry_outbox", x => x.seq);
                });

            migrationBuilder.CreateTable(
                name: "provision_steps",
                columns: table => new
                {
                    job_id = table.Column<string>(type: "TEXT", nullable: false),
                    seq = table.Column<int>(type: "INTEGER", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    resource_kind = table.Column<string>(type: "TEXT", nullable: true),
                    resource_name = table.Column<string>(type: "TEXT", nullable: true),
                    cf_id = table.Column<string>(type: "TEXT", nullable: true),
                    create_attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    created_by_job = table.Column<bool>(type: "INTEGER", nullable: false),
                    output_json = table.Column<string>(type: "TEXT", nullable: false),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    error_code = table.Column<string>(type: "TEXT", nullable: true),
                    error_message = table.Column<string>(type: "TEXT", nullable: true),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    completed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    undone_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_provision_steps", x => new { x.job_id, x.seq });
                    table.CheckConstraint("ck_provision_steps_resource_kind", "resource_kind IS NULL OR resource_kind IN ('d1', 'worker', 'worker_secret', 'r2', 'kv', 'queue', 'pages_project', 'pages_domain', 'custom_hostname', 'worker_route')");
                    table.CheckConstraint("ck_provision_steps_status", "status IN ('PENDING', 'RUNNING', 'COMPLETED', 'SKIPPED', 'FAILED', 'UNDOING', 'UNDONE', 'UNDO_FAILED')");
                    table.ForeignKey(
                        name: "fk_provision_steps_provision_jobs_job_id",
                        column: x => x.job_id,
                        principalTable: "provision_jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_cf_resources_kind_ssl_status",
                table: "cf_resources",
                columns: new[] { "kind", "ssl_status" });

            migrationBuilder.CreateIndex(
                name: "ix_cf_resources_platform_id_environment_status",
                table: "cf_resources",
                columns: new[] { "platform_id", "environment", "status" });

            migrationBuilder.CreateIndex(
                name: "ux_cf_resources_kind_name_active",
                table: "cf_resources",
                columns: new[] { "kind", "name" },
                unique: true,
                filter: "status = 'active'");

            migrationBuilder.CreateIndex(
                name: "ix_dead_letters_dead_lettered_at_id_desc",
                table: "dead_letters",
                columns: new[] { "dead_lettered_at", "id" },
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "ux_dead_letters_job_id_run_number_phase",
                table: "dead_letters",
                columns: new[] { "job_id", "run_number", "phase" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_provision_jobs_created_at_id_desc",
                table: "provision_jobs",
                columns: new[] { "created_at", "id" },
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "ix_provision_jobs_enqueue_pending",
                table: "provision_jobs",
                column: "updated_at",
                filter: "enqueue_pending = 1");

            migrationBuilder.CreateIndex(
                name: "ix_provision_jobs_platform_id_created_at_id_desc",
                table: "provision_jobs",
                columns: new[] { "platform_id", "created_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_provision_jobs_platform_id_status_created_at",
                table: "provision_jobs",
                columns: new[] { "platform_id", "status", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_provision_jobs_queue_key_status_created_at",
                table: "provision_jobs",
                columns: new[] { "queue_key", "status", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_provision_jobs_status_lease_expires_at",
                table: "provision_jobs",
                columns: new[] { "status", "lease_expires_at" });

            migrationBuilder.CreateIndex(
                name: "ix_provision_jobs_status_next_run_at",
                table: "provision_jobs",
                columns: new[] { "status", "next_run_at" });

            migrationBuilder.CreateIndex(
                name: "ix_provision_jobs_target_key_status",
                table: "provision_jobs",
                columns: new[] { "target_key", "status" });

            migrationBuilder.CreateIndex(
                name: "ux_provision_jobs_requested_by_idempotency_key",
                table: "provision_jobs",
                columns: new[] { "requested_by", "idempotency_key" },
                unique: true,
                filter: "idempotency_key IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ux_provision_steps_job_id_name",
                table: "provision_steps",
                columns: new[] { "job_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_registry_outbox_sent_at_platform_id_seq",
                table: "registry_outbox",
                columns: new[] { "sent_at", "platform_id", "seq" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "cf_resources");

            migrationBuilder.DropTable(
                name: "dead_letters");

            migrationBuilder.DropTable(
                name: "feature_usages");

            migrationBuilder.DropTable(
                name: "job_leases");

            migrationBuilder.DropTable(
                name: "provision_steps");

            migrationBuilder.DropTable(
                name: "registry_outbox");

            migrationBuilder.DropTable(
                name: "provision_jobs");
        }
    }
}
