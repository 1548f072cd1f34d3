using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeadRouter.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class BrokerFieldMap : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "FieldMap",
                table: "Brokers",
                type: "character varying(20000)",
                maxLength: 20000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FieldMap",
                table: "Brokers");
        }
    }
}
