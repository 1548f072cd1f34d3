using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Postbacks;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary>
/// The broker report grouped by day, ISO week and month over a range that starts on a Wednesday, crosses the end of March
/// (inside an ISO week) and two Mondays, and ends on a Tuesday, against figures worked out here from the raw rows: routing
/// rows, deliveries, push attempts and postbacks, by the report's definitions (a cohort by routing day; a push, attempt or
/// postback counts only with its lead's routing row for the same broker).
/// </summary>
public abstract class BrokerReportGroupingTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    static readonly DateOnly From = new(2034, 3, 29);
    static readonly DateOnly To = new(2034, 4, 11);

    [Theory]
    [InlineData(ReportGrouping.Day)]
    [InlineData(ReportGrouping.Week)]
    [InlineData(ReportGrouping.Month)]
    public async Task Grouped_figures_equal_a_recount_from_the_raw_rows(ReportGrouping grouping)
    {
        var brokers = await SeedAsync(grouping);
        var admin = await App.ClientAsync(Roles.Admin);

        var report = await admin.GetFromJsonAsync<BrokerReportDto>(
            $"/api/v1/reports/brokers?from={From:yyyy-MM-dd}&to={To:yyyy-MM-dd}&groupBy={grouping.ToString().ToLowerInvariant()}", Json, Ct);

        var expected = await ExpectedAsync(brokers, grouping);
        var ids = brokers.Select(b => b.Id.ToString(CultureInfo.InvariantCulture)).ToHashSet();
        Assert.Equal(expected.Brokers, report!.Brokers.Where(r => ids.Contains(r.Key)).Select(Line).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(expected.Countries, report.Countries.Select(Line).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(expected.Priorities, report.Priorities.Select(Line).Order(StringComparer.Ordinal).ToList());
        var periods = report.Countries.Select(r => r.Period).Distinct().Order().ToList();
        if (grouping == ReportGrouping.Day) Assert.All(periods, p => Assert.InRange(p, From, To));
        else Assert.Equal(grouping == ReportGrouping.Week ? [From, new(2034, 4, 3), new(2034, 4, 10)] : [From, new DateOnly(2034, 4, 1)], periods);
    }

    /// <summary>
    /// Four brokers (two active at priority 6, with a daily cap and without caps, one at priority 2 with an hourly cap, one
    /// inactive at priority 6), 90 leads routed from three days before the range to two days after it (some exactly on
    /// day, week and month boundaries) in AE, SA or no country; random deliveries, attempts (durations in steps of 10 ms,
    /// so they repeat) and postbacks; plus rows that must not count: a test push, and pushes, attempts and postbacks of a
    /// broker the lead was not routed to (also after one lead fails over to another broker). Every case of the theory seeds
    /// its own brokers and leads into the same range; the expected figures are worked out from every row of the range, so
    /// the cases do not depend on each other or on their order.
    /// </summary>
    async Task<List<Broker>> SeedAsync(ReportGrouping grouping)
    {
        await using var db = App.CreateDb();
        var now = App.Clock.GetUtcNow();
        var rng = new Random(20340329 + (int)grouping);
        Broker NewBroker(int priority, int weight, int? hourly, int? daily, bool active = true) => db.Brokers.Add(new Broker
        {
            Name = Unique("grouping"),
            Priority = priority,
            Weight = weight,
            HourlyCap = hourly,
            DailyCap = daily,
            Active = active,
            CreatedAt = now,
        }).Entity;
        List<Broker> brokers = [NewBroker(6, 20, null, 5), NewBroker(6, 10, null, null), NewBroker(2, 30, 2, null), NewBroker(6, 50, null, null, active: false)];
        await db.SaveChangesAsync(Ct);

        var ids = await App.AddLeadsAsync(Unique("GROUPING"), 90);
        DateTimeOffset At(int y, int m, int d, int h = 0, int min = 0, int s = 0) => new(y, m, d, h, min, s, TimeSpan.Zero);
        DateTimeOffset[] boundaries =
        [
            At(2034, 3, 29).AddTicks(-1), At(2034, 3, 29), At(2034, 3, 31, 23, 59, 59), At(2034, 4, 1), At(2034, 4, 2, 23, 59, 59),
            At(2034, 4, 3), At(2034, 4, 9, 23, 59, 59), At(2034, 4, 10), At(2034, 4, 12).AddTicks(-1), At(2034, 4, 12),
        ];
        var start = At(2034, 3, 26);
        var routes = ids.Select((id, i) =>
        {
            var broker = brokers[rng.Next(brokers.Count)];
            var routedAt = i < boundaries.Length ? boundaries[i] : start.AddMinutes(rng.Next(19 * 24 * 60));
            return new BrokerAssignment
            {
                LeadId = id,
                BrokerId = broker.Id,
                Priority = broker.Priority,
                Country = new[] { "AE", "SA", "" }[rng.Next(3)],
                Decision = "{}",
                RoutedAt = routedAt,
            };
        }).ToList();
        db.BrokerAssignments.AddRange(routes);

        string[] currencies = ["USD", "EUR", "JPY", "KWD"];
        var statuses = Enum.GetValues<DeliveryStatus>();
        var events = Enum.GetValues<PostbackEvent>();
        foreach (var r in routes)
        {
            // One lead in ten also gets rows from a broker it was not routed to: they must not count anywhere.
            var brokerIds = rng.Next(10) == 0 ? [r.BrokerId, brokers.First(b => b.Id != r.BrokerId).Id] : new[] { r.BrokerId };
            foreach (var brokerId in brokerIds)
            {
                for (var d = rng.Next(4); d > 0; d--)
                {
                    var status = statuses[rng.Next(statuses.Length)];
                    db.Deliveries.Add(new Delivery
                    {
                        WebhookId = "msg_" + Guid.NewGuid().ToString("N"),
                        LeadId = r.LeadId,
                        BrokerId = brokerId,
                        Status = status,
                        CreatedAt = r.RoutedAt,
                        NextAttemptAt = r.RoutedAt,
                        CompletedAt = status == DeliveryStatus.Pending ? null : r.RoutedAt,
                    });
                }

                for (var a = rng.Next(5); a > 0; a--)
                    db.PushLogs.Add(new PushLog
                    {
                        LeadId = r.LeadId,
                        BrokerId = brokerId,
                        Attempt = a,
                        Status = DeliveryStatus.Delivered,
                        DurationMs = rng.Next(1, 40) * 10,
                        At = r.RoutedAt,
                    });

                for (var e = rng.Next(4); e > 0; e--)
                {
                    var ev = events[rng.Next(events.Length)];
                    var withAmount = ev == PostbackEvent.Deposit && rng.Next(4) != 0;
                    db.LeadEvents.Add(new LeadEvent
                    {
                        BrokerId = brokerId,
                        LeadId = r.LeadId,
                        EventId = Guid.NewGuid().ToString("N"),
                        Event = ev,
                        AmountMinor = withAmount ? rng.Next(1, 100_000) : null,
                        Currency = withAmount ? currencies[rng.Next(currencies.Length)] : null,
                        OccurredAt = now,
                        ReceivedAt = now,
                        LeadStatusAfter = LeadStatus.Pending,
                        AuthMethod = "token",
                    });
                }
            }
        }

        db.PushLogs.Add(new PushLog { BrokerId = brokers[0].Id, Test = true, Attempt = 1, DurationMs = 99_999, At = At(2034, 4, 1) });
        await db.SaveChangesAsync(Ct);

        // A failover inside the range: the lead's rows with its first broker stay, but no longer count.
        var moved = routes.First(r => r.RoutedAt > At(2034, 4, 4) && r.RoutedAt < At(2034, 4, 8));
        var next = brokers.First(b => b.Id != moved.BrokerId);
        await db.BrokerAssignments.Where(a => a.Id == moved.Id).ExecuteDeleteAsync(Ct);
        db.BrokerAssignments.Add(new BrokerAssignment
        {
            LeadId = moved.LeadId,
            BrokerId = next.Id,
            Priority = next.Priority,
            Country = "SA",
            Decision = "{}",
            RoutedAt = moved.RoutedAt.AddHours(30),
        });
        await db.SaveChangesAsync(Ct);
        return brokers;
    }

    sealed record Expected(List<string> Brokers, List<string> Countries, List<string> Priorities);

    /// <summary>The report's lines worked out from the raw rows of the range's days.</summary>
    async Task<Expected> ExpectedAsync(List<Broker> brokers, ReportGrouping grouping)
    {
        await using var db = App.CreateDb();
        var fromAt = new DateTimeOffset(From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var toAt = new DateTimeOffset(To.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        // Every routing row in the range (of any broker: country and priority rows cover all of them), with its lead's rows.
        var routes = (await db.BrokerAssignments.AsNoTracking().ToListAsync(Ct)).Where(a => a.RoutedAt >= fromAt && a.RoutedAt < toAt).ToList();
        var leadIds = routes.Select(a => a.LeadId).ToHashSet();
        var deliveries = (await db.Deliveries.AsNoTracking().ToListAsync(Ct)).Where(d => leadIds.Contains(d.LeadId)).ToLookup(d => (d.LeadId, d.BrokerId));
        var attempts = (await db.PushLogs.AsNoTracking().Where(l => !l.Test && l.LeadId != null).ToListAsync(Ct))
            .Where(l => leadIds.Contains(l.LeadId!.Value)).ToLookup(l => (l.LeadId!.Value, l.BrokerId));
        var postbacks = (await db.LeadEvents.AsNoTracking().ToListAsync(Ct)).Where(e => leadIds.Contains(e.LeadId)).ToLookup(e => (e.LeadId, e.BrokerId));
        var allBrokers = await db.Brokers.AsNoTracking().ToListAsync(Ct);

        DateOnly Period(DateTimeOffset at)
        {
            var day = DateOnly.FromDateTime(at.UtcDateTime);
            var start = grouping switch
            {
                ReportGrouping.Day => day,
                ReportGrouping.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
                _ => new DateOnly(day.Year, day.Month, 1),
            };
            return start < From ? From : start;
        }

        DateOnly PeriodEnd(DateOnly period) => grouping switch
        {
            ReportGrouping.Day => period,
            ReportGrouping.Week => Min(period.AddDays(6 - ((int)period.DayOfWeek + 6) % 7), To),
            _ => Min(new DateOnly(period.Year, period.Month, 1).AddMonths(1).AddDays(-1), To),
        };

        var routedAt = routes.GroupBy(a => (a.Priority, Period(a.RoutedAt))).ToDictionary(g => g.Key, g => (long)g.Count());
        List<string> Lines(string dimension, Func<BrokerAssignment, string> key, bool isBroker) =>
            routes.GroupBy(a => (Key: key(a), Period: Period(a.RoutedAt))).Select(g =>
            {
                var pairs = g.Select(a => (a.LeadId, a.BrokerId)).ToList();
                var ds = pairs.SelectMany(p => deliveries[p]).ToList();
                var times = pairs.SelectMany(p => attempts[p]).Select(l => l.DurationMs).Order().ToList();
                var es = pairs.SelectMany(p => postbacks[p]).ToList();
                long Leads(PostbackEvent ev) => es.Where(e => e.Event == ev).Select(e => e.LeadId).Distinct().Count();
                long routed = g.Count();
                long delivered = ds.Where(d => d.Status == DeliveryStatus.Delivered).Select(d => d.LeadId).Distinct().Count();
                long finished = ds.Count(d => d.Status is DeliveryStatus.Delivered or DeliveryStatus.Rejected or DeliveryStatus.Dead);
                var revenue = es.Where(e => e.Event == PostbackEvent.Deposit && e.AmountMinor is not null && e.Currency is not null)
                    .GroupBy(e => e.Currency!).OrderBy(c => c.Key, StringComparer.Ordinal)
                    .Select(c => $"{c.Key} {c.Count()} {Currencies.FromMinor(c.Sum(e => e.AmountMinor!.Value), c.Key).ToString(CultureInfo.InvariantCulture)}");
                string? name = null;
                double? cap = null, share = null, target = null;
                if (isBroker)
                {
                    var b = allBrokers.Single(x => x.Id.ToString(CultureInfo.InvariantCulture) == g.Key.Key);
                    name = b.Name;
                    var days = PeriodEnd(g.Key.Period).DayNumber - g.Key.Period.DayNumber + 1;
                    decimal? capacity = b.HourlyCap is { } h ? h * 24m * days : b.DailyCap is { } d ? d * (decimal)days : null;
                    cap = capacity is { } c ? Math.Round((double)(routed / c), 4) : null;
                    share = Rate(routed, g.Select(a => a.Priority).Distinct().Sum(p => routedAt[(p, g.Key.Period)]));
                    var weights = allBrokers.Where(x => x.Active && x.DeletedAt == null && x.Weight > 0 && x.Priority == b.Priority).Sum(x => x.Weight);
                    target = b.Active && b.Weight > 0 ? Rate(b.Weight, weights) : 0;
                }

                return Format(dimension, g.Key.Key, name, g.Key.Period, routed, delivered, finished, Rate(ds.Count(d => d.Status == DeliveryStatus.Delivered), finished),
                    times.Count == 0 ? null : Math.Round((double)((decimal)times.Sum(t => (long)t) / times.Count), 1),
                    times.Count == 0 ? null : times[(int)Math.Ceiling(times.Count * 95m / 100) - 1],
                    [Leads(PostbackEvent.Accepted), Leads(PostbackEvent.Rejected), Leads(PostbackEvent.Duplicate), Leads(PostbackEvent.Converted)],
                    delivered, es.Count(e => e.Event == PostbackEvent.Deposit), string.Join(";", revenue), cap, share, target);
            }).Order(StringComparer.Ordinal).ToList();

        var mine = brokers.Select(b => b.Id).ToHashSet();
        var brokerLines = Lines("broker", a => a.BrokerId.ToString(CultureInfo.InvariantCulture), true)
            .Where(l => mine.Contains(long.Parse(l.Split('|')[1], CultureInfo.InvariantCulture))).ToList();
        Assert.Equal(brokers.Count, brokerLines.Select(l => l.Split('|')[1]).Distinct().Count());
        return new Expected(brokerLines,
            Lines("country", a => a.Country, false),
            Lines("priority", a => a.Priority.ToString(CultureInfo.InvariantCulture), false));
    }

    static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    static double Rate(long part, long whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 4);

    static string Line(ReportRow r) => Format(r.Dimension, r.Key, r.Name, r.Period, r.Routed, r.Delivered, r.PushesFinished, r.DeliverySuccessRate,
        r.AvgResponseMs, r.P95ResponseMs, [r.Accepted, r.Rejected, r.Duplicates, r.Converted], r.Delivered, r.Deposits,
        string.Join(";", r.Revenue.Select(x => $"{x.Currency} {x.Deposits} {x.Amount.ToString(CultureInfo.InvariantCulture)}")),
        r.CapUtilisation, r.Share, r.TargetShare, [r.AcceptedRate, r.RejectedRate, r.DuplicateRate, r.ConversionRate]);

    /// <summary>
    /// One report row as text. The four outcome rates are worked out from the counts (leads with the outcome ÷ delivered
    /// leads) unless <paramref name="rates"/> gives them, so a report row's own rates are checked against its counts.
    /// </summary>
    static string Format(string dimension, string key, string? name, DateOnly period, long routed, long delivered, long finished, double success,
        double? avg, int? p95, long[] outcomes, long deliveredLeads, long deposits, string revenue, double? cap, double? share, double? target,
        double[]? rates = null)
    {
        rates ??= outcomes.Select(o => Rate(o, deliveredLeads)).ToArray();
        return string.Create(CultureInfo.InvariantCulture,
            $"{dimension}|{key}|{name}|{period:yyyy-MM-dd}|routed {routed}|delivered {delivered}|finished {finished}|success {success}|avg {avg}|p95 {p95}|" +
            $"outcomes {string.Join(",", outcomes)}|rates {string.Join(",", rates)}|deposits {deposits}|revenue {revenue}|cap {cap}|share {share}|target {target}");
    }
}

public sealed class BrokerReportGroupingTests_Sqlite(SqliteApp app) : BrokerReportGroupingTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class BrokerReportGroupingTests_Postgres(PostgresApp app) : BrokerReportGroupingTests<PostgresApp>(app);

/// <summary>The SQLite histogram text of one cell and day: <c>ms:attempts</c> entries, or <c>ms</c> alone for one attempt.</summary>
public sealed class BrokerReportHistogramTextTests
{
    [Fact]
    public void Entries_with_and_without_an_attempt_count_read_back_exactly()
    {
        var text = "12:3,7,0:2,5,2147483647:9000000000,-4".AsSpan();
        var entries = new List<(int, long)>();
        while (!text.IsEmpty) entries.Add(BrokerReportQueries.Entry(ref text));

        Assert.Equal([(12, 3L), (7, 1L), (0, 2L), (5, 1L), (int.MaxValue, 9_000_000_000L), (-4, 1L)], entries);
    }
}
