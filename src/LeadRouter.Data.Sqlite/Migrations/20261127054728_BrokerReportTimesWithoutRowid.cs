using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeadRouter.Data.Sqlite.Migrations
{
    /// <summary>
    /// SQLite keeps the broker report's response-time histograms (<c>BrokerReportResponseTimes</c>, about one row per push
    /// attempt) as a <c>WITHOUT ROWID</c> table: the rows are stored in primary-key order, so the report's read of a day
    /// range grouped by cell and day is one ordered scan of the table instead of a walk of the key index with a lookup of
    /// each row's <c>Attempts</c> in the table (about half the time on the bench's million rows). The model is unchanged
    /// (EF has no setting for it). The table is rebuilt: copy, drop, rename. The rename runs with
    /// <c>legacy_alter_table</c> on, as the rollup triggers on other tables name the table and would otherwise be checked
    /// while it is briefly missing; they find it again by name. An EF-generated rebuild of this table in a later migration
    /// would drop <c>WITHOUT ROWID</c>: repeat it there.
    /// </summary>
    public partial class BrokerReportTimesWithoutRowid : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(Rebuild(withoutRowid: true));

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql(Rebuild(withoutRowid: false));

        static string Rebuild(bool withoutRowid) => $"""
            CREATE TABLE "ef_temp_BrokerReportResponseTimes" (
                "Day" TEXT NOT NULL,
                "BrokerId" INTEGER NOT NULL,
                "Country" TEXT NOT NULL,
                "Priority" INTEGER NOT NULL,
                "DurationMs" INTEGER NOT NULL,
                "Slot" INTEGER NOT NULL,
                "Attempts" INTEGER NOT NULL,
                CONSTRAINT "PK_BrokerReportResponseTimes" PRIMARY KEY ("Day", "BrokerId", "Country", "Priority", "DurationMs", "Slot"),
                CONSTRAINT "FK_BrokerReportResponseTimes_Brokers_BrokerId" FOREIGN KEY ("BrokerId") REFERENCES "Brokers" ("Id") ON DELETE CASCADE
            ){(withoutRowid ? " WITHOUT ROWID" : "")};
            INSERT INTO "ef_temp_BrokerReportResponseTimes" ("Day", "BrokerId", "Country", "Priority", "DurationMs", "Slot", "Attempts")
            SELECT "Day", "BrokerId", "Country", "Priority", "DurationMs", "Slot", "Attempts" FROM "BrokerReportResponseTimes";
            DROP TABLE "BrokerReportResponseTimes";
            PRAGMA legacy_alter_table = 1;
            ALTER TABLE "ef_temp_BrokerReportResponseTimes" RENAME TO "BrokerReportResponseTimes";
            PRAGMA legacy_alter_table = 0;
            CREATE INDEX "IX_BrokerReportResponseTimes_BrokerId" ON "BrokerReportResponseTimes" ("BrokerId");
            """;
    }
}
