using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Tests.Infrastructure;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary>
/// <c>GET /api/v1/reports/brokers</c> over a seeded set of routes, deliveries, push attempts and postbacks in two ISO weeks
/// of March (each test its own year, so their figures never mix), checked against figures worked out by hand.
/// </summary>
public abstract class PostbackReportTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    sealed record Seeded(Broker A, Broker B, Broker C);

    /// <summary>
    /// A (priority 7, weight 30, 10 a day): week 1 leads a1 AE, a2 AE, a3 SA, a4 SA; a1 pushed twice (both delivered),
    /// a2 and a3 delivered, a4 dead; 20 push attempts of 10…200 ms (a1 10–80, a2 90–120, a3 130–160, a4 170–200);
    /// a1 and a2 accepted, a3 rejected, a1 deposits USD 100.50 and 20.00 and converts, a2 deposits JPY 1000.
    /// Week 2 lead a5 AE at exactly Monday 00:00, nothing else; a6 on the Monday after the range (excluded).
    /// B (priority 7, weight 10, no caps): week 1 lead b1 AE delivered, reported duplicate.
    /// C (priority 3, weight 50, 100 a month): week 2 leads c1 SA delivered (50 and 70 ms, converted, deposit KWD 12.345), c2 SA pending.
    /// </summary>
    async Task<Seeded> SeedAsync(DateTimeOffset week1, bool active = true)
    {
        var week2 = week1.AddDays(7);
        await using var db = App.CreateDb();
        var now = App.Clock.GetUtcNow();
        Broker NewBroker(int priority, int weight, int? day, int? month) => db.Brokers.Add(new Broker
        {
            Name = Unique("report"),
            Priority = priority,
            Weight = weight,
            DailyCap = day,
            MonthlyCap = month,
            CreatedAt = now,
            Active = active,
        }).Entity;
        var (a, b, c) = (NewBroker(7, 30, 10, null), NewBroker(7, 10, null, null), NewBroker(3, 50, null, 100));
        await db.SaveChangesAsync(Ct);

        var ids = await App.AddLeadsAsync(Unique("REPORT"), 10);
        var at = week1.AddDays(1);
        var leads = new (long Id, Broker Broker, string Country, DateTimeOffset RoutedAt)[]
        {
            (ids[0], a, "AE", at), (ids[1], a, "AE", at.AddHours(1)), (ids[2], a, "SA", at.AddDays(2)), (ids[3], a, "SA", week2.AddTicks(-1)),
            (ids[4], a, "AE", week2), (ids[5], a, "AE", week2.AddDays(7)),
            (ids[6], b, "AE", at.AddDays(3)),
            (ids[7], c, "SA", week2.AddDays(2)), (ids[8], c, "SA", week2.AddDays(6)),
        };
        foreach (var (id, broker, country, routedAt) in leads)
            db.BrokerAssignments.Add(new BrokerAssignment { LeadId = id, BrokerId = broker.Id, Priority = broker.Priority, Country = country, Decision = "{}", RoutedAt = routedAt });

        Delivery Push(int lead, DeliveryStatus status) => db.Deliveries.Add(new Delivery
        {
            WebhookId = "msg_" + Guid.NewGuid().ToString("N"),
            LeadId = leads[lead].Id,
            BrokerId = leads[lead].Broker.Id,
            Status = status,
            CreatedAt = leads[lead].RoutedAt,
            NextAttemptAt = leads[lead].RoutedAt,
            CompletedAt = status == DeliveryStatus.Pending ? null : leads[lead].RoutedAt,
        }).Entity;
        Push(0, DeliveryStatus.Delivered); Push(0, DeliveryStatus.Delivered); Push(1, DeliveryStatus.Delivered); Push(2, DeliveryStatus.Delivered);
        Push(3, DeliveryStatus.Dead); Push(6, DeliveryStatus.Delivered); Push(7, DeliveryStatus.Delivered); Push(8, DeliveryStatus.Pending);
        void Attempts(int lead, params int[] ms)
        {
            for (var i = 0; i < ms.Length; i++)
                db.PushLogs.Add(new PushLog { LeadId = leads[lead].Id, BrokerId = leads[lead].Broker.Id, Attempt = i + 1, Status = DeliveryStatus.Delivered, DurationMs = ms[i], At = leads[lead].RoutedAt });
        }
        Attempts(0, 10, 20, 30, 40, 50, 60, 70, 80); Attempts(1, 90, 100, 110, 120); Attempts(2, 130, 140, 150, 160); Attempts(3, 170, 180, 190, 200);
        Attempts(7, 70, 50);
        db.PushLogs.Add(new PushLog { BrokerId = a.Id, Test = true, Attempt = 1, DurationMs = 99999, At = at }); // test pushes don't count

        void Event(int lead, PostbackEvent ev, long? minor = null, string? currency = null) => db.LeadEvents.Add(new LeadEvent
        {
            BrokerId = leads[lead].Broker.Id,
            LeadId = leads[lead].Id,
            EventId = Guid.NewGuid().ToString("N"),
            Event = ev,
            AmountMinor = minor,
            Currency = currency,
            OccurredAt = now,
            ReceivedAt = now,
            LeadStatusAfter = LeadStatus.Pending,
            AuthMethod = "token",
        });
        Event(0, PostbackEvent.Accepted); Event(1, PostbackEvent.Accepted); Event(2, PostbackEvent.Rejected);
        Event(0, PostbackEvent.Deposit, 10050, "USD"); Event(0, PostbackEvent.Deposit, 2000, "USD"); Event(0, PostbackEvent.Converted);
        Event(1, PostbackEvent.Deposit, 1000, "JPY");
        Event(6, PostbackEvent.Duplicate);
        Event(7, PostbackEvent.Converted); Event(7, PostbackEvent.Deposit, 12345, "KWD");
        Event(5, PostbackEvent.Converted); // lead a6 is outside the range
        await db.SaveChangesAsync(Ct);
        return new Seeded(a, b, c);
    }

    [Fact]
    public async Task A_weekly_report_matches_the_hand_computed_figures()
    {
        var s = await SeedAsync(new DateTimeOffset(2031, 3, 3, 0, 0, 0, TimeSpan.Zero)); // a Monday
        var admin = await App.ClientAsync(Roles.Admin);

        var report = await admin.GetFromJsonAsync<BrokerReportDto>("/api/v1/reports/brokers?from=2031-03-03&to=2031-03-16&groupBy=week", Json, Ct);

        var rows = report!.Brokers.ToDictionary(r => (r.Name, r.Period));
        var w1 = new DateOnly(2031, 3, 3);
        var w2 = new DateOnly(2031, 3, 10);
        Assert.Equal(4, rows.Count);
        var a1 = rows[(s.A.Name, w1)];
        Assert.Equal((4L, 3L, 5L, 0.8), (a1.Routed, a1.Delivered, a1.PushesFinished, a1.DeliverySuccessRate));
        Assert.Equal(((double?)105.0, (int?)190), (a1.AvgResponseMs, a1.P95ResponseMs));
        Assert.Equal((2L, 1L, 0L, 1L), (a1.Accepted, a1.Rejected, a1.Duplicates, a1.Converted));
        Assert.Equal((0.6667, 0.3333, 0.0, 0.3333), (a1.AcceptedRate, a1.RejectedRate, a1.DuplicateRate, a1.ConversionRate));
        Assert.Equal(3L, a1.Deposits);
        Assert.Equal([new RevenueDto("JPY", 1, 1000m), new RevenueDto("USD", 2, 120.50m)], a1.Revenue);
        Assert.Equal("120.50", a1.Revenue[1].Amount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(((double?)0.0571, (double?)0.8, (double?)0.75), (a1.CapUtilisation, a1.Share, a1.TargetShare));
        var a2 = rows[(s.A.Name, w2)];
        Assert.Equal((1L, 0L, 0.0, (double?)null, (int?)null, 0.0), (a2.Routed, a2.Delivered, a2.DeliverySuccessRate, a2.AvgResponseMs, a2.P95ResponseMs, a2.ConversionRate));
        Assert.Equal(((double?)0.0143, (double?)1.0), (a2.CapUtilisation, a2.Share));
        var b1 = rows[(s.B.Name, w1)];
        Assert.Equal((1L, 1L, 1.0, 1.0, (double?)null, (double?)0.2, (double?)0.25),
            (b1.Routed, b1.Delivered, b1.DeliverySuccessRate, b1.DuplicateRate, b1.CapUtilisation, b1.Share, b1.TargetShare));
        var c2 = rows[(s.C.Name, w2)];
        Assert.Equal((2L, 1L, 1L, 1.0, (double?)60.0, (int?)70, 1.0), (c2.Routed, c2.Delivered, c2.PushesFinished, c2.DeliverySuccessRate, c2.AvgResponseMs, c2.P95ResponseMs, c2.ConversionRate));
        Assert.Equal([new RevenueDto("KWD", 1, 12.345m)], c2.Revenue);
        Assert.Equal(((double?)0.0886, (double?)1.0, (double?)1.0), (c2.CapUtilisation, c2.Share, c2.TargetShare)); // 2 ÷ (100 × 7/31)

        var countries = report.Countries.ToDictionary(r => (r.Key, r.Period));
        var ae1 = countries[("AE", w1)];
        Assert.Equal((3L, 3L, 0.6667, 0.3333, (double?)65.0, (int?)120), (ae1.Routed, ae1.Delivered, ae1.AcceptedRate, ae1.DuplicateRate, ae1.AvgResponseMs, ae1.P95ResponseMs));
        Assert.Equal([new RevenueDto("JPY", 1, 1000m), new RevenueDto("USD", 2, 120.50m)], ae1.Revenue);
        var sa1 = countries[("SA", w1)];
        Assert.Equal((2L, 1L, 0.5, 1.0, (double?)165.0, (int?)200), (sa1.Routed, sa1.Delivered, sa1.DeliverySuccessRate, sa1.RejectedRate, sa1.AvgResponseMs, sa1.P95ResponseMs));
        Assert.Equal((1L, 2L), (countries[("AE", w2)].Routed, countries[("SA", w2)].Routed));
        var priorities = report.Priorities.ToDictionary(r => (r.Key, r.Period));
        Assert.Equal((5L, 4L, 0.8333), (priorities[("7", w1)].Routed, priorities[("7", w1)].Delivered, priorities[("7", w1)].DeliverySuccessRate));
        Assert.Equal((2L, (int?)70), (priorities[("3", w2)].Routed, priorities[("3", w2)].P95ResponseMs));
    }

    [Fact]
    public async Task Day_and_month_grouping_cut_the_same_leads_into_other_periods_and_csv_has_one_line_per_row()
    {
        // A Monday in another year; the brokers are inactive so the other test's target shares stay as computed.
        var s = await SeedAsync(new DateTimeOffset(2033, 3, 7, 0, 0, 0, TimeSpan.Zero), active: false);
        var admin = await App.ClientAsync(Roles.Admin);

        var daily = await admin.GetFromJsonAsync<BrokerReportDto>("/api/v1/reports/brokers?from=2033-03-07&to=2033-03-20&groupBy=day", Json, Ct);
        var monthly = await admin.GetFromJsonAsync<BrokerReportDto>("/api/v1/reports/brokers?from=2033-03-01&to=2033-03-31&groupBy=month", Json, Ct);
        var csv = await admin.GetAsync("/api/v1/reports/brokers?from=2033-03-07&to=2033-03-20&groupBy=week&format=csv", Ct);
        var bad = await admin.GetAsync("/api/v1/reports/brokers?from=2033-03-07&to=2033-03-20&groupBy=year", Ct);

        var aDays = daily!.Brokers.Where(r => r.Name == s.A.Name).Select(r => (r.Period, r.Routed)).ToList();
        Assert.Equal([(new DateOnly(2033, 3, 8), 2L), (new DateOnly(2033, 3, 10), 1L), (new DateOnly(2033, 3, 13), 1L), (new DateOnly(2033, 3, 14), 1L)], aDays);
        Assert.Equal(0.2, daily.Brokers.Single(r => r.Name == s.A.Name && r.Period == new DateOnly(2033, 3, 8)).CapUtilisation);
        var aMonth = Assert.Single(monthly!.Brokers, r => r.Name == s.A.Name);
        Assert.Equal((6L, 3L, (double?)0.0194), (aMonth.Routed, aMonth.Delivered, aMonth.CapUtilisation)); // 6 ÷ (10 × 31)
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync(Ct)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("dimension,key,name,period,routed", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith($"broker,{s.A.Id},{s.A.Name},2033-03-07,4,3,5,0.8,105,190,2,1,0,1,0.6667,0.3333,0,0.3333,3,JPY 1000;USD 120.50,0.0571,0.8,0", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}

public sealed class PostbackReportTests_Sqlite(SqliteApp app) : PostbackReportTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class PostbackReportTests_Postgres(PostgresApp app) : PostbackReportTests<PostgresApp>(app);
