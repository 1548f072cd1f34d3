using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeadRouter.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AddReserveCandidateIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Leads_Status_Grade_Score_Id",
                table: "Leads",
                columns: new[] { "Status", "Grade", "Score", "Id" },
                descending: new[] { false, false, true, false });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Leads_Status_Grade_Score_Id",
                table: "Leads");
        }
    }
}
