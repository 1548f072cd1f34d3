using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeadRouter.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class IntakeImports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "IntakeKey",
                table: "Imports",
                type: "TEXT",
                maxLength: 300,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Imports_IntakeKey",
                table: "Imports",
                column: "IntakeKey",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Imports_IntakeKey",
                table: "Imports");

            migrationBuilder.DropColumn(
                name: "IntakeKey",
                table: "Imports");
        }
    }
}
