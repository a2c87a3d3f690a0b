using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nno.StackRegistry.Data.Migrations
{
    /// <inheritdoc />
    public partial class StackTemplates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "stack_templates",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    display_name = table.Column<string>(type: "TEXT", nullable: false),
                    description = table.Column<string>(type: "TEXT", nullable: false),
                    icon = table.Column<string>(type: "TEXT", nullable: true),
                    domain = table.Column<string>(type: "TEXT", nullable: true),
                    latest_version = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", nullable: false, defaultValue: "active"),
                    created_by = table.Column<string>(type: "TEXT", nullable: false),
                    updated_by = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_stack_templates", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "stack_template_versions",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    template_id = table.Column<string>(type: "TEXT", nullable: false),
                    version = table.Column<string>(type: "TEXT", nullable: false),
                    major = table.Column<long>(type: "INTEGER", nullable: false),
                    minor = table.Column<long>(type: "INTEGER", nullable: false),
                    patch = table.Column<long>(type: "INTEGER", nullable: false),
                    prerelease = table.Column<string>(type: "TEXT", nullable: true),
                    definition = table.Column<string>(type: "TEXT", nullable: false),
                    definition_sha256 = table.Column<string>(type: "TEXT", nullable: false),
                    feature_count = table.Column<int>(type: "INTEGER", nullable: false),
                    changelog = table.Column<string>(type: "TEXT", nullable: true),
                    status = table.Column<string>(type: "TEXT", nullable: false, defaultValue: "active"),
                    published_by = table.Column<string>(type: "TEXT", nullable: false),
                    published_at = table.Column<long>(type: "INTEGER", nullable: false),
                    deprecated_by = table.Column<string>(type: "TEXT", nullable: true),
                    deprecated_at = table.Column<long>(type: "INTEGER", nullable: true),
                    deprecation_reason = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_stack_template_versions", x => x.id);
                    table.ForeignKey(
                        name: "fk_stack_template_versions_template",
                        column: x => x.template_id,
                        principalTable: "stack_templates",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_stack_template_versions_template_status",
                table: "stack_template_versions",
                columns: new[] { "template_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ux_stack_template_versions_template_version",
                table: "stack_template_versions",
                columns: new[] { "template_id", "version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_stack_templates_domain_name",
                table: "stack_templates",
                columns: new[] { "domain", "name" });

            migrationBuilder.CreateIndex(
                name: "ix_stack_templates_status_name",
                table: "stack_templates",
                columns: new[] { "status", "name" });

            migrationBuilder.CreateIndex(
                name: "ux_stack_templates_name",
                table: "stack_templates",
                column: "name",
                unique: true);

            // Published content is immutable in the database itself (stack-registry.md §2): no route and no SQL
            // statement can change or remove it. Only the deprecation columns may change, once, active → deprecated.
            migrationBuilder.Sql("""
                CREATE TRIGGER trg_stack_template_versions_immutable
                BEFORE UPDATE OF template_id, version, major, minor, patch, prerelease, definition, definition_sha256, feature_count, changelog, published_by, published_at
                ON stack_template_versions
                BEGIN
                    SELECT RAISE(ABORT, 'stack template versions are immutable');
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER trg_stack_template_versions_no_delete
                BEFORE DELETE ON stack_template_versions
                BEGIN
                    SELECT RAISE(ABORT, 'stack template versions are never deleted');
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER trg_stack_template_versions_deprecate_once
                BEFORE UPDATE OF status, deprecated_by, deprecated_at, deprecation_reason
                ON stack_template_versions
                WHEN OLD.status <> 'active' OR NEW.status <> 'deprecated'
                BEGIN
                    SELECT RAISE(ABORT, 'a stack template version only moves from active to deprecated');
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS trg_stack_template_versions_deprecate_once;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS trg_stack_template_versions_no_delete;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS trg_stack_template_versions_immutable;");

            migrationBuilder.DropTable(
                name: "stack_template_versions");

            migrationBuilder.DropTable(
                name: "stack_templates");
        }
    }
}
