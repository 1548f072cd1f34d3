using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Tests.Infrastructure;
using LeadRouter.Web.Tests.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary>
/// The broker report's rollups (<c>BrokerReportDays</c>, <c>BrokerReportRevenue</c>, <c>BrokerReportResponseTimes</c>) are
/// kept by database triggers. After every kind of write to the routing log, deliveries, push attempts and postbacks they
/// must equal a recount from those rows, worked out here in memory the way the report defines its figures.
/// </summary>
public abstract class BrokerReportRollupTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp, new()
{
    private protected static readonly DateTimeOffset Day1 = new(2029, 5, 14, 23, 59, 59, TimeSpan.Zero);
    private protected static readonly DateTimeOffset Day2 = new(2029, 5, 15, 0, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset Day3 = new(2029, 6, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Rollups_equal_a_recount_after_routing_deliveries_attempts_postbacks_updates_deletes_and_a_failover()
    {
        var (b1, b2) = await BrokersAsync(App);
        var leads = await App.AddLeadsAsync(Unique("ROLLUP"), 8);
        await using var db = App.CreateDb();

        // Routing: five leads to B1 over two days and two countries, one to B2.
        for (var i = 0; i < 5; i++) db.BrokerAssignments.Add(Route(leads[i], b1, i % 2 == 0 ? "AE" : "SA", i < 3 ? Day1 : Day2));
        db.BrokerAssignments.Add(Route(leads[5], b2, "", Day2));
        await db.SaveChangesAsync(Ct);
        await ReportRollupRecount.AssertMatchAsync(App, b1, b2);

        // Deliveries, attempts and postbacks, including ones of lead 6, pushed to B1 by hand before it was routed there.
        var pending = db.Deliveries.Add(Delivery(leads[0], b1, DeliveryStatus.Pending)).Entity;
        var second = db.Deliveries.Add(Delivery(leads[0], b1, DeliveryStatus.Delivered)).Entity;
        db.Deliveries.AddRange(Delivery(leads[1], b1, DeliveryStatus.Rejected), Delivery(leads[2], b1, DeliveryStatus.Dead),
            Delivery(leads[3], b1, DeliveryStatus.Pending), Delivery(leads[6], b1, DeliveryStatus.Delivered), Delivery(leads[5], b2, DeliveryStatus.Delivered));
        var attempt = db.PushLogs.Add(Attempt(leads[0], b1, 20)).Entity;
        db.PushLogs.AddRange(Attempt(leads[0], b1, 10), Attempt(leads[0], b1, 20), Attempt(leads[1], b1, 30), Attempt(leads[6], b1, 40),
            Attempt(leads[5], b2, 5), new PushLog { BrokerId = b1, Test = true, Attempt = 1, DurationMs = 999, At = Day1 });
        var accepted = db.LeadEvents.Add(Event(leads[0], b1, PostbackEvent.Accepted)).Entity;
        var rejected = db.LeadEvents.Add(Event(leads[1], b1, PostbackEvent.Rejected)).Entity;
        db.LeadEvents.AddRange(Event(leads[0], b1, PostbackEvent.Accepted), Event(leads[0], b1, PostbackEvent.Deposit, 1000, "USD"),
            Event(leads[0], b1, PostbackEvent.Deposit), Event(leads[2], b1, PostbackEvent.Deposit, 250, "EUR"), Event(leads[2], b1, PostbackEvent.Converted),
            Event(leads[2], b1, PostbackEvent.Contacted), Event(leads[6], b1, PostbackEvent.Accepted), Event(leads[6], b1, PostbackEvent.Deposit, 700, "USD"));
        await db.SaveChangesAsync(Ct);
        await ReportRollupRecount.AssertMatchAsync(App, b1, b2);

        // Status changes, deletes and updates of every table.
        pending.Status = DeliveryStatus.Delivered;
        await db.SaveChangesAsync(Ct);
        await ReportRollupRecount.AssertMatchAsync(App, b1, b2);
        pending.Status = DeliveryStatus.Rejected;
        db.Deliveries.Remove(second);
        db.LeadEvents.Remove(accepted);
        rejected.Event = PostbackEvent.Duplicate;
        db.PushLogs.Remove(attempt);
        await db.SaveChangesAsync(Ct);
        await ReportRollupRecount.AssertMatchAsync(App, b1, b2);

        // Lead 6 is routed to B1 now (its earlier push, attempt and postbacks join the cell); lead 2 fails over from B1 to
        // B2 (its dead push and postbacks stay with B1's lead and leave the report); lead 4 moves to another country.
        db.BrokerAssignments.Add(Route(leads[6], b1, "AE", Day3));
        await db.BrokerAssignments.Where(a => a.LeadId == leads[2]).ExecuteDeleteAsync(Ct);
        db.BrokerAssignments.Add(Route(leads[2], b2, "SA", Day3));
        await db.SaveChangesAsync(Ct);
        await db.BrokerAssignments.Where(a => a.LeadId == leads[4]).ExecuteUpdateAsync(s => s.SetProperty(a => a.Country, "QA"), Ct);
        await ReportRollupRecount.AssertMatchAsync(App, b1, b2);

        await using var check = App.CreateDb();
        var day1 = (await ReportRollupRecount.SumDaysAsync(check, b1)).Single(r => r.Day == DateOnly.FromDateTime(Day1.UtcDateTime) && r.Country == "AE");
        Assert.Equal((1L, 0L, 0L, 1L, 0L, 1L, 2L), (day1.Routed, day1.DeliveredLeads, day1.Delivered, day1.Rejected, day1.Dead, day1.AcceptedLeads, day1.Deposits));
    }

    [Fact]
    public async Task A_second_delivery_or_postback_of_a_lead_written_while_the_first_is_uncommitted_counts_the_lead_once()
    {
        var (b1, _) = await BrokersAsync(App);
        var lead = (await App.AddLeadsAsync(Unique("RACE"), 1))[0];
        await using (var db = App.CreateDb())
        {
            db.BrokerAssignments.Add(Route(lead, b1, "AE", Day1));
            await db.SaveChangesAsync(Ct);
        }

        await using (var first = App.CreateDb())
        {
            await using var tx = await first.Database.BeginTransactionAsync(Ct);
            first.Deliveries.Add(Delivery(lead, b1, DeliveryStatus.Delivered));
            first.LeadEvents.Add(Event(lead, b1, PostbackEvent.Accepted));
            await first.SaveChangesAsync(Ct);
            var second = Task.Run(async () =>
            {
                await using var other = App.CreateDb();
                other.Deliveries.Add(Delivery(lead, b1, DeliveryStatus.Delivered));
                other.LeadEvents.Add(Event(lead, b1, PostbackEvent.Accepted));
                await other.SaveChangesAsync(Ct);
            }, Ct);
            await Task.Delay(300, Ct);
            await tx.CommitAsync(Ct);
            await second;
        }

        await using var check = App.CreateDb();
        var row = (await ReportRollupRecount.SumDaysAsync(check, b1)).Single();
        Assert.Equal((1L, 2L, 1L), (row.DeliveredLeads, row.Delivered, row.AcceptedLeads));
        await ReportRollupRecount.AssertMatchAsync(App, b1);
    }

    [Fact]
    public async Task The_migration_counts_the_rows_written_before_it_and_its_triggers_take_over()
    {
        await using var fresh = await MemberSeeding.StartFreshAsync<TApp>();
        await using (var db = fresh.CreateDb())
            await db.GetService<IMigrator>().MigrateAsync("MemberFileCsv", cancellationToken: Ct);
        var (b1, b2) = await BrokersAsync(fresh);
        var leads = await fresh.AddLeadsAsync("BACKFILL", 4);
        await using (var db = fresh.CreateDb())
        {
            db.BrokerAssignments.AddRange(Route(leads[0], b1, "AE", Day1), Route(leads[1], b1, "AE", Day1), Route(leads[2], b2, "SA", Day2));
            db.Deliveries.AddRange(Delivery(leads[0], b1, DeliveryStatus.Delivered), Delivery(leads[0], b1, DeliveryStatus.Delivered),
                Delivery(leads[1], b1, DeliveryStatus.Dead), Delivery(leads[3], b1, DeliveryStatus.Delivered));
            db.PushLogs.AddRange(Attempt(leads[0], b1, 15), Attempt(leads[0], b1, 15), Attempt(leads[2], b2, 7), Attempt(leads[3], b1, 9));
            db.LeadEvents.AddRange(Event(leads[0], b1, PostbackEvent.Accepted), Event(leads[0], b1, PostbackEvent.Accepted),
                Event(leads[0], b1, PostbackEvent.Deposit, 5000, "USD"), Event(leads[2], b2, PostbackEvent.Converted));
            await db.SaveChangesAsync(Ct);
        }

        await using (var db = fresh.CreateDb())
            await db.Database.MigrateAsync(Ct);
        await ReportRollupRecount.AssertMatchAsync(fresh, b1, b2);
        await using (var db = fresh.CreateDb())
        {
            db.BrokerAssignments.Add(Route(leads[3], b1, "SA", Day2));
            await db.SaveChangesAsync(Ct);
        }

        await ReportRollupRecount.AssertMatchAsync(fresh, b1, b2);
    }

    private protected static async Task<(long B1, long B2)> BrokersAsync(LeadRouterApp app)
    {
        await using var db = app.CreateDb();
        var b1 = db.Brokers.Add(new Broker { Name = $"rollup-{Guid.NewGuid():N}", Priority = 5, Weight = 10, CreatedAt = app.Clock.GetUtcNow() }).Entity;
        var b2 = db.Brokers.Add(new Broker { Name = $"rollup-{Guid.NewGuid():N}", Priority = 3, Weight = 10, CreatedAt = app.Clock.GetUtcNow() }).Entity;
        await db.SaveChangesAsync(Ct);
        return (b1.Id, b2.Id);
    }

    private protected static BrokerAssignment Route(long lead, long broker, string country, DateTimeOffset at) =>
        new() { LeadId = lead, BrokerId = broker, Priority = 5, Country = country, Decision = "{}", RoutedAt = at };

    static Delivery Delivery(long lead, long broker, DeliveryStatus status) => new()
    {
        WebhookId = "msg_" + Guid.NewGuid().ToString("N"),
        LeadId = lead,
        BrokerId = broker,
        Status = status,
        CreatedAt = Day1,
        NextAttemptAt = Day1,
    };

    private protected static PushLog Attempt(long lead, long broker, int ms) =>
        new() { LeadId = lead, BrokerId = broker, Attempt = 1, Status = DeliveryStatus.Delivered, DurationMs = ms, At = Day1 };

    static LeadEvent Event(long lead, long broker, PostbackEvent ev, long? minor = null, string? currency = null) => new()
    {
        BrokerId = broker,
        LeadId = lead,
        EventId = Guid.NewGuid().ToString("N"),
        Event = ev,
        AmountMinor = minor,
        Currency = currency,
        OccurredAt = Day1,
        ReceivedAt = Day1,
        LeadStatusAfter = LeadStatus.Pending,
        AuthMethod = "token",
    };
}

public sealed class BrokerReportRollupTests_Sqlite(SqliteApp app) : BrokerReportRollupTests<SqliteApp>(app)
{
    [Fact]
    public async Task The_response_time_histograms_are_kept_without_rowid_and_keep_their_rows_down_and_up_again()
    {
        await using var fresh = await MemberSeeding.StartFreshAsync<SqliteApp>();
        var (b1, b2) = await BrokersAsync(fresh);
        var leads = await fresh.AddLeadsAsync("ROWID", 3);
        await using (var db = fresh.CreateDb())
        {
            db.BrokerAssignments.AddRange(Route(leads[0], b1, "AE", Day1), Route(leads[1], b1, "AE", Day1), Route(leads[2], b2, "SA", Day2));
            db.PushLogs.AddRange(Attempt(leads[0], b1, 15), Attempt(leads[0], b1, 15), Attempt(leads[1], b1, 40), Attempt(leads[2], b2, 7));
            await db.SaveChangesAsync(Ct);
        }
        Assert.EndsWith("WITHOUT ROWID", await TableSqlAsync(fresh));

        await using (var db = fresh.CreateDb())
            await db.GetService<IMigrator>().MigrateAsync("BrokerReportRollups", cancellationToken: Ct);
        Assert.DoesNotContain("WITHOUT ROWID", await TableSqlAsync(fresh));
        await ReportRollupRecount.AssertMatchAsync(fresh, b1, b2);

        await using (var db = fresh.CreateDb())
            await db.Database.MigrateAsync(Ct);
        Assert.EndsWith("WITHOUT ROWID", await TableSqlAsync(fresh));
        await ReportRollupRecount.AssertMatchAsync(fresh, b1, b2);
        await using (var db = fresh.CreateDb())
        {
            // The triggers on other tables still find the rebuilt table by its name.
            db.PushLogs.AddRange(Attempt(leads[1], b1, 40), Attempt(leads[2], b2, 8));
            await db.SaveChangesAsync(Ct);
        }
        await ReportRollupRecount.AssertMatchAsync(fresh, b1, b2);
    }

    static async Task<string> TableSqlAsync(LeadRouterApp app)
    {
        await using var db = app.CreateDb();
        return await db.Database.SqlQuery<string>($"SELECT sql AS \"Value\" FROM sqlite_master WHERE type = 'table' AND name = 'BrokerReportResponseTimes'").SingleAsync(Ct);
    }
}

[Trait("Database", "Postgres")]
public sealed class BrokerReportRollupTests_Postgres(PostgresApp app) : BrokerReportRollupTests<PostgresApp>(app);
