using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nno.Provisioning.Data.Migrations
{
    /// <inheritdoc />
    public partial class JobRetryStreak : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "retry_streak",
                table: "provision_jobs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "retry_streak",
                table: "provision_jobs");
        }
    }
}
