using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nno.Iam.Data.Migrations
{
    /// <inheritdoc />
    public partial class InitialIam : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_events",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    occurred_at = table.Column<long>(type: "INTEGER", nullable: false),
                    type = table.Column<string>(type: "TEXT", nullable: false),
                    outcome = table.Column<string>(type: "TEXT", nullable: false),
                    actor_kind = table.Column<string>(type: "TEXT", nullable: false),
                    actor_user_id = table.Column<string>(type: "TEXT", nullable: true),
                    actor_key_id = table.Column<string>(type: "TEXT", nullable: true),
                    subject_user_id = table.Column<string>(type: "TEXT", nullable: true),
                    platform_id = table.Column<string>(type: "TEXT", nullable: true),
                    organization_id = table.Column<string>(type: "TEXT", nullable: true),
                    ip = table.Column<string>(type: "TEXT", nullable: true),
                    user_agent = table.Column<string>(type: "TEXT", nullable: true),
                    request_id = table.Column<string>(type: "TEXT", nullable: true),
                    metadata = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_events", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "signing_keys",
                columns: table => new
                {
                    kid = table.Column<string>(type: "TEXT", nullable: false),
                    alg = table.Column<string>(type: "TEXT", nullable: false),
                    public_jwk = table.Column<string>(type: "TEXT", nullable: false),
                    private_key = table.Column<byte[]>(type: "BLOB", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    activates_at = table.Column<long>(type: "INTEGER", nullable: false),
                    retires_at = table.Column<long>(type: "INTEGER", nullable: false),
                    purge_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_signing_keys", x => x.kid);
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_actor_user_id_occurred_at_id",
                table: "audit_events",
                columns: new[] { "actor_user_id", "occurred_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_occurred_at_id",
                table: "audit_events",
                columns: new[] { "occurred_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_platform_id_occurred_at_id",
                table: "audit_events",
                columns: new[] { "platform_id", "occurred_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_subject_user_id_occurred_at_id",
                table: "audit_events",
                columns: new[] { "subject_user_id", "occurred_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_type_occurred_at_id",
                table: "audit_events",
                columns: new[] { "type", "occurred_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_signing_keys_activates_at",
                table: "signing_keys",
                column: "activates_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_events");

            migrationBuilder.DropTable(
                name: "signing_keys");
        }
    }
}
