using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace LeadRouter.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Brokers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "BrokerId",
                table: "Leads",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UnroutedReason",
                table: "Leads",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "BrokerRotations",
                columns: table => new
                {
                    Priority = table.Column<int>(type: "integer", nullable: false),
                    Country = table.Column<string>(type: "character varying(2)", maxLength: 2, nullable: false),
                    BrokerId = table.Column<long>(type: "bigint", nullable: false),
                    Current = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BrokerRotations", x => new { x.Priority, x.Country, x.BrokerId });
                });

            migrationBuilder.CreateTable(
                name: "BrokerRoutingLocks",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BrokerRoutingLocks", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Brokers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Active = table.Column<bool>(type: "boolean", nullable: false),
                    Priority = table.Column<int>(type: "integer", nullable: false),
                    Weight = table.Column<int>(type: "integer", nullable: false),
                    Countries = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    CountryWeights = table.Column<string>(type: "text", nullable: true),
                    MinAmount = table.Column<decimal>(type: "numeric(18,4)", precision: 18, scale: 4, nullable: true),
                    MaxAmount = table.Column<decimal>(type: "numeric(18,4)", precision: 18, scale: 4, nullable: true),
                    Currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: true),
                    HourlyCap = table.Column<int>(type: "integer", nullable: true),
                    DailyCap = table.Column<int>(type: "integer", nullable: true),
                    MonthlyCap = table.Column<int>(type: "integer", nullable: true),
                    TimeZone = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    AutoPush = table.Column<bool>(type: "boolean", nullable: false),
                    EndpointUrl = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    EndpointMethod = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    EndpointHeaders = table.Column<string>(type: "text", nullable: true),
                    ApiKeyProtected = table.Column<string>(type: "text", nullable: true),
                    SigningSecretProtected = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    DeletedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Brokers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SourceRoutings",
                columns: table => new
                {
                    SourceId = table.Column<long>(type: "bigint", nullable: false),
                    RouteTo = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SourceRoutings", x => x.SourceId);
                    table.ForeignKey(
                        name: "FK_SourceRoutings_Sources_SourceId",
                        column: x => x.SourceId,
                        principalTable: "Sources",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BrokerAssignments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    LeadId = table.Column<long>(type: "bigint", nullable: false),
                    BrokerId = table.Column<long>(type: "bigint", nullable: false),
                    SourceId = table.Column<long>(type: "bigint", nullable: true),
                    Priority = table.Column<int>(type: "integer", nullable: false),
                    Country = table.Column<string>(type: "character varying(2)", maxLength: 2, nullable: false),
                    Trigger = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Decision = table.Column<string>(type: "text", nullable: false),
                    RoutedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BrokerAssignments", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BrokerAssignments_Brokers_BrokerId",
                        column: x => x.BrokerId,
                        principalTable: "Brokers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_BrokerAssignments_Leads_LeadId",
                        column: x => x.LeadId,
                        principalTable: "Leads",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_BrokerAssignments_Sources_SourceId",
                        column: x => x.SourceId,
                        principalTable: "Sources",
                        principalColumn: "Id");
                });

            migrationBuilder.InsertData(
                table: "BrokerRoutingLocks",
                columns: new[] { "Id", "Version" },
                values: new object[] { 1, 0L });

            migrationBuilder.CreateIndex(
                name: "IX_Leads_BrokerId",
                table: "Leads",
                column: "BrokerId");

            migrationBuilder.CreateIndex(
                name: "IX_BrokerAssignments_BrokerId_RoutedAt",
                table: "BrokerAssignments",
                columns: new[] { "BrokerId", "RoutedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_BrokerAssignments_LeadId",
                table: "BrokerAssignments",
                column: "LeadId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_BrokerAssignments_SourceId",
                table: "BrokerAssignments",
                column: "SourceId");

            migrationBuilder.CreateIndex(
                name: "IX_Brokers_Name",
                table: "Brokers",
                column: "Name",
                unique: true,
                filter: "\"DeletedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BrokerAssignments");

            migrationBuilder.DropTable(
                name: "BrokerRotations");

            migrationBuilder.DropTable(
                name: "BrokerRoutingLocks");

            migrationBuilder.DropTable(
                name: "SourceRoutings");

            migrationBuilder.DropTable(
                name: "Brokers");

            migrationBuilder.DropIndex(
                name: "IX_Leads_BrokerId",
                table: "Leads");

            migrationBuilder.DropColumn(
                name: "BrokerId",
                table: "Leads");

            migrationBuilder.DropColumn(
                name: "UnroutedReason",
                table: "Leads");
        }
    }
}
