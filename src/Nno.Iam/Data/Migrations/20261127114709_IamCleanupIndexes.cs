using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nno.Iam.Data.Migrations
{
    /// <inheritdoc />
    public partial class IamCleanupIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_verifications_expires_at",
                table: "verifications",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_sessions_absolute_expires_at",
                table: "sessions",
                column: "absolute_expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_sessions_revoked_at",
                table: "sessions",
                column: "revoked_at");

            migrationBuilder.CreateIndex(
                name: "ix_invitations_platform_id_created_at_id",
                table: "invitations",
                columns: new[] { "platform_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_invitations_status_expires_at",
                table: "invitations",
                columns: new[] { "status", "expires_at" });

            migrationBuilder.CreateIndex(
                name: "ix_device_codes_expires_at",
                table: "device_codes",
                column: "expires_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_verifications_expires_at",
                table: "verifications");

            migrationBuilder.DropIndex(
                name: "ix_sessions_absolute_expires_at",
                table: "sessions");

            migrationBuilder.DropIndex(
                name: "ix_sessions_revoked_at",
                table: "sessions");

            migrationBuilder.DropIndex(
                name: "ix_invitations_platform_id_created_at_id",
                table: "invitations");

            migrationBuilder.DropIndex(
                name: "ix_invitations_status_expires_at",
                table: "invitations");

            migrationBuilder.DropIndex(
                name: "ix_device_codes_expires_at",
                table: "device_codes");
        }
    }
}
