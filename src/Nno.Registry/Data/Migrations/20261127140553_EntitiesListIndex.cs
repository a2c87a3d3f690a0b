using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nno.Registry.Data.Migrations
{
    /// <inheritdoc />
    public partial class EntitiesListIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_entities_platform_id_created_at_id",
                table: "entities",
                columns: new[] { "platform_id", "created_at", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_entities_platform_id_created_at_id",
                table: "entities");
        }
    }
}
