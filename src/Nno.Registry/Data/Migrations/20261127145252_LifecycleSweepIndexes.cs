using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nno.Registry.Data.Migrations
{
    /// <inheritdoc />
    public partial class LifecycleSweepIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_platforms_status_deleted_at_unpurged",
                table: "platforms",
                columns: new[] { "status", "deleted_at" },
                filter: "purged_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_platforms_transfer_expires_at_pending",
                table: "platforms",
                column: "transfer_expires_at",
                filter: "pending_owner_user_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_platform_id_kind",
                table: "outbox",
                columns: new[] { "platform_id", "kind" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_platforms_status_deleted_at_unpurged",
                table: "platforms");

            migrationBuilder.DropIndex(
                name: "ix_platforms_transfer_expires_at_pending",
                table: "platforms");

            migrationBuilder.DropIndex(
                name: "ix_outbox_platform_id_kind",
                table: "outbox");
        }
    }
}
