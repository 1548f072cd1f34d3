using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeadRouter.Data.Postgres.Migrations
{
    /// <summary>
    /// The broker report's trigger functions (migration <see cref="BrokerReportRollups"/>) upsert their rollup rows in key
    /// order (<c>ORDER BY</c> the key columns before <c>ON CONFLICT</c>), so every statement locks the rollup rows it changes
    /// in one global order. Before, a statement's rows came out of its <c>GROUP BY</c> in hash order, and two transactions
    /// writing overlapping rollup rows at once (two nodes recording delivery batches, or a routing run beside one) could
    /// each hold a row the other needed next: a deadlock. Only the function bodies change (the triggers call them by name);
    /// the counts they write are the same. SQLite needs no such migration: it has one writer at a time.
    /// </summary>
    public partial class BrokerReportLockOrder : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var sql in BrokerReportRollups.ReplaceReportFunctions(ordered: true))
                migrationBuilder.Sql(sql);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var sql in BrokerReportRollups.ReplaceReportFunctions(ordered: false))
                migrationBuilder.Sql(sql);
        }
    }
}
