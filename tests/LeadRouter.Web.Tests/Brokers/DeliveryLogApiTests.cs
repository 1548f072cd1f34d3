using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadRouter.Data.Brokers;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Tests.Infrastructure;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary><c>GET /api/crm/deliveries</c>: the delivery log the brokers page shows, filtered and paged.</summary>
public abstract class DeliveryLogApiTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Broker one: 3 delivered (Jan 1, 2, 3 at noon UTC) and 1 dead (Jan 3); broker two: 1 delivered (Jan 2).</summary>
    async Task<(long One, long Two, List<long> Ids)> SeedAsync()
    {
        var one = await App.Get<BrokerDirectory>().AddAsync(new NewBroker(Unique("One"), 5, 10, []), Ct);
        var two = await App.Get<BrokerDirectory>().AddAsync(new NewBroker(Unique("Two"), 5, 10, []), Ct);
        var leads = await App.AddLeadsAsync(Unique("DLOG"), 5);
        var noon = new DateTimeOffset(2031, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var rows = new (long Broker, int Day, DeliveryStatus Status)[]
            { (one.Id, 0, DeliveryStatus.Delivered), (one.Id, 1, DeliveryStatus.Delivered), (one.Id, 2, DeliveryStatus.Delivered), (one.Id, 2, DeliveryStatus.Dead), (two.Id, 1, DeliveryStatus.Delivered) };
        await using var db = App.CreateDb();
        var deliveries = rows.Select((r, i) => new Delivery
        {
            WebhookId = "msg_" + Guid.NewGuid().ToString("N"),
            LeadId = leads[i],
            BrokerId = r.Broker,
            Status = r.Status,
            Attempts = 1,
            CreatedAt = noon.AddDays(r.Day),
            NextAttemptAt = noon.AddDays(r.Day),
        }).ToList();
        db.Deliveries.AddRange(deliveries);
        await db.SaveChangesAsync(Ct);
        return (one.Id, two.Id, deliveries.Select(d => d.Id).ToList());
    }

    [Fact]
    public async Task The_delivery_log_filters_by_broker_status_and_time_newest_first_in_pages()
    {
        var (one, two, ids) = await SeedAsync();
        var admin = await App.ClientAsync(Roles.Admin);
        async Task<DeliveryLogPage> GetAsync(string query) => (await admin.GetFromJsonAsync<DeliveryLogPage>($"/api/crm/deliveries?{query}", Json, Ct))!;

        var page1 = await GetAsync($"brokerId={one}&pageSize=3");
        var page2 = await GetAsync($"brokerId={one}&pageSize=3&page=2");
        var delivered = await GetAsync($"brokerId={one}&status=delivered");
        var jan2 = await GetAsync($"brokerId={one}&from=2031-01-02T00:00:00Z&to=2031-01-03T00:00:00Z");
        var two2 = await GetAsync($"brokerId={two}");

        Assert.Equal((4, 2), (page1.Total, page1.TotalPages));
        Assert.Equal([ids[3], ids[2], ids[1]], page1.Deliveries.Select(d => d.Id));
        Assert.Equal([ids[0]], page2.Deliveries.Select(d => d.Id));
        Assert.Equal([ids[2], ids[1], ids[0]], delivered.Deliveries.Select(d => d.Id));
        Assert.Equal([ids[1]], jan2.Deliveries.Select(d => d.Id));
        var row = Assert.Single(two2.Deliveries);
        Assert.Equal((ids[4], two, DeliveryStatus.Delivered, "Lead 4"), (row.Id, row.BrokerId, row.Status, row.LeadName));
    }

    [Fact]
    public async Task Bad_paging_or_a_reversed_range_is_refused_and_only_admins_see_the_log()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var agent = await App.ClientAsync(Roles.Agent);

        var badSize = await admin.GetAsync("/api/crm/deliveries?pageSize=500", Ct);
        var badStatus = await admin.GetAsync("/api/crm/deliveries?status=lost", Ct);
        var reversed = await admin.GetAsync("/api/crm/deliveries?from=2031-01-03T00:00:00Z&to=2031-01-02T00:00:00Z", Ct);
        var forbidden = await agent.GetAsync("/api/crm/deliveries", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, badSize.StatusCode);
        Assert.Contains("pageSize", await badSize.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, reversed.StatusCode);
        Assert.Contains("\"to\"", await reversed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }
}

public sealed class DeliveryLogApiTests_Sqlite(SqliteApp app) : DeliveryLogApiTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class DeliveryLogApiTests_Postgres(PostgresApp app) : DeliveryLogApiTests<PostgresApp>(app);
