using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nno.Registry.Data.Migrations
{
    /// <inheritdoc />
    public partial class ProvisioningWrites : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "provision_attempts",
                table: "platform_environments",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "provision_jobs",
                columns: table => new
                {
                    job_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    platform_id = table.Column<string>(type: "TEXT", nullable: false),
                    operation = table.Column<string>(type: "TEXT", nullable: false),
                    target_id = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", nullable: true),
                    run_number = table.Column<int>(type: "INTEGER", nullable: false),
                    in_flight = table.Column<bool>(type: "INTEGER", nullable: false),
                    not_found_since = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    checked_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_provision_jobs", x => x.job_id);
                    table.CheckConstraint("ck_provision_jobs_operation", "operation IN ('provision_platform', 'deprovision', 'activate_stack', 'deactivate_stack', 'activate_feature', 'deactivate_feature', 'add_custom_domain', 'remove_custom_domain')");
                    table.ForeignKey(
                        name: "fk_provision_jobs_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_provision_jobs_in_flight_updated_at",
                table: "provision_jobs",
                column: "updated_at",
                filter: "in_flight = 1");

            migrationBuilder.CreateIndex(
                name: "ix_provision_jobs_platform_id",
                table: "provision_jobs",
                column: "platform_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "provision_jobs");

            migrationBuilder.DropColumn(
                name: "provision_attempts",
                table: "platform_environments");
        }
    }
}
