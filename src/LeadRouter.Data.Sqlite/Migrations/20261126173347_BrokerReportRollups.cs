using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeadRouter.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class BrokerReportRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Deliveries_LeadId",
                table: "Deliveries");

            migrationBuilder.CreateTable(
                name: "BrokerReportDays",
                columns: table => new
                {
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    BrokerId = table.Column<long>(type: "INTEGER", nullable: false),
                    Country = table.Column<string>(type: "TEXT", maxLength: 2, nullable: false),
                    Priority = table.Column<int>(type: "INTEGER", nullable: false),
                    Slot = table.Column<short>(type: "INTEGER", nullable: false),
                    Routed = table.Column<long>(type: "INTEGER", nullable: false),
                    DeliveredLeads = table.Column<long>(type: "INTEGER", nullable: false),
                    Delivered = table.Column<long>(type: "INTEGER", nullable: false),
                    Rejected = table.Column<long>(type: "INTEGER", nullable: false),
                    Dead = table.Column<long>(type: "INTEGER", nullable: false),
                    AcceptedLeads = table.Column<long>(type: "INTEGER", nullable: false),
                    RejectedLeads = table.Column<long>(type: "INTEGER", nullable: false),
                    DuplicateLeads = table.Column<long>(type: "INTEGER", nullable: false),
                    ConvertedLeads = table.Column<long>(type: "INTEGER", nullable: false),
                    Deposits = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BrokerReportDays", x => new { x.Day, x.BrokerId, x.Country, x.Priority, x.Slot });
                    table.ForeignKey(
                        name: "FK_BrokerReportDays_Brokers_BrokerId",
                        column: x => x.BrokerId,
                        principalTable: "Brokers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BrokerReportResponseTimes",
                columns: table => new
                {
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    BrokerId = table.Column<long>(type: "INTEGER", nullable: false),
                    Country = table.Column<string>(type: "TEXT", maxLength: 2, nullable: false),
                    Priority = table.Column<int>(type: "INTEGER", nullable: false),
                    DurationMs = table.Column<int>(type: "INTEGER", nullable: false),
                    Slot = table.Column<short>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BrokerReportResponseTimes", x => new { x.Day, x.BrokerId, x.Country, x.Priority, x.DurationMs, x.Slot });
                    table.ForeignKey(
                        name: "FK_BrokerReportResponseTimes_Brokers_BrokerId",
                        column: x => x.BrokerId,
                        principalTable: "Brokers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BrokerReportRevenue",
                columns: table => new
                {
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    BrokerId = table.Column<long>(type: "INTEGER", nullable: false),
                    Country = table.Column<string>(type: "TEXT", maxLength: 2, nullable: false),
                    Priority = table.Column<int>(type: "INTEGER", nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    Slot = table.Column<short>(type: "INTEGER", nullable: false),
                    Deposits = table.Column<long>(type: "INTEGER", nullable: false),
                    AmountMinor = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BrokerReportRevenue", x => new { x.Day, x.BrokerId, x.Country, x.Priority, x.Currency, x.Slot });
                    table.ForeignKey(
                        name: "FK_BrokerReportRevenue_Brokers_BrokerId",
                        column: x => x.BrokerId,
                        principalTable: "Brokers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_LeadPushLogs_LeadId_BrokerId",
                table: "LeadPushLogs",
                columns: new[] { "LeadId", "BrokerId" });

            migrationBuilder.CreateIndex(
                name: "IX_Deliveries_LeadId_BrokerId",
                table: "Deliveries",
                columns: new[] { "LeadId", "BrokerId" });

            migrationBuilder.CreateIndex(
                name: "IX_BrokerReportDays_BrokerId",
                table: "BrokerReportDays",
                column: "BrokerId");

            migrationBuilder.CreateIndex(
                name: "IX_BrokerReportResponseTimes_BrokerId",
                table: "BrokerReportResponseTimes",
                column: "BrokerId");

            migrationBuilder.CreateIndex(
                name: "IX_BrokerReportRevenue_BrokerId",
                table: "BrokerReportRevenue",
                column: "BrokerId");

            CreateReportTriggers(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            DropReportTriggers(migrationBuilder);

            migrationBuilder.DropTable(
                name: "BrokerReportDays");

            migrationBuilder.DropTable(
                name: "BrokerReportResponseTimes");

            migrationBuilder.DropTable(
                name: "BrokerReportRevenue");

            migrationBuilder.DropIndex(
                name: "IX_LeadPushLogs_LeadId_BrokerId",
                table: "LeadPushLogs");

            migrationBuilder.DropIndex(
                name: "IX_Deliveries_LeadId_BrokerId",
                table: "Deliveries");

            migrationBuilder.CreateIndex(
                name: "IX_Deliveries_LeadId",
                table: "Deliveries",
                column: "LeadId");
        }
    }
}
