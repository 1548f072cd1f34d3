using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LeadRouter.Data.Brokers;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Leads;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary>
/// Intake under concurrency: two app instances on one database, eight streams posting leads through
/// <c>POST /api/v1/leads</c> at the same time. The routing lock must keep caps, one owner per lead and exact shares.
/// </summary>
public abstract class BrokerConcurrentIntakeTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    const int Streams = 8, PerStream = 2_000, Batch = 200, Cap = 500;
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Eight_intake_streams_on_two_nodes_keep_caps_route_each_lead_once_and_shares_within_one()
    {
        const string country = "IS";
        var directory = App.Get<BrokerDirectory>();
        // Top tier: one broker capped at 500 a day; below it 50/30/20 take the rest.
        var capped = (await directory.AddAsync(new NewBroker(Unique("capped"), 9, 10, [country], DayCap: Cap), Ct)).Id;
        var weights = new[] { 50, 30, 20 };
        var open = new long[weights.Length];
        for (var i = 0; i < weights.Length; i++)
            open[i] = (await directory.AddAsync(new NewBroker(Unique($"w{weights[i]}"), 5, weights[i], [country]), Ct)).Id;
        var source = Unique("STREAM");
        var sourceId = (await App.Get<SourceRoutes>().SetAsync(source, RouteTarget.Brokers, Ct)).SourceId;

        await using var peer = new PeerApp(App);
        var email = $"intake-{Guid.NewGuid():N}@example.com";
        var clients = new[] { await App.ClientAsync(Roles.Admin, email), await peer.ClientAsync(email) };
        var tag = Guid.NewGuid().ToString("N")[..8];
        var watch = Stopwatch.StartNew();

        var results = await Task.WhenAll(Enumerable.Range(0, Streams).Select(stream => Task.Run(async () =>
        {
            var client = clients[stream % 2]; // streams alternate between the two nodes
            var outcomes = new List<IntakeLeadOutcome>(PerStream);
            for (var start = 0; start < PerStream; start += Batch)
            {
                var body = Enumerable.Range(start, Batch).Select(i => new
                {
                    name = $"Lead {stream}-{i}",
                    email = $"s{stream}.{i}.{tag}@example.com",
                    country,
                    source,
                }).ToArray();
                var response = await client.PostAsJsonAsync("/api/v1/leads", body, Ct);
                Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
                outcomes.AddRange((await response.Content.ReadFromJsonAsync<IntakeResult>(Json, Ct))!.Leads);
            }
            return outcomes;
        }, Ct)));
        watch.Stop();

        const int total = Streams * PerStream;
        var answered = results.SelectMany(r => r).ToList();
        Assert.Equal(total, answered.Count);
        Assert.All(answered, o => Assert.Equal(("routed", false), (o.Outcome, o.Duplicate)));
        Assert.Equal(total, answered.Select(o => o.LeadId).Distinct().Count());

        await using var db = App.CreateDb();
        var leads = await db.Leads.Where(l => l.SourceId == sourceId).Select(l => new { l.Id, l.BrokerId }).ToListAsync(Ct);
        var log = await db.BrokerAssignments.Where(a => a.SourceId == sourceId).Select(a => new { a.LeadId, a.BrokerId }).ToListAsync(Ct);
        Assert.Equal(total, leads.Count);
        Assert.All(leads, l => Assert.NotNull(l.BrokerId));
        // No lead routed twice: one log row per lead, naming the broker the lead has.
        Assert.Equal(total, log.Count);
        Assert.Equal(total, log.Select(a => a.LeadId).Distinct().Count());
        var owner = leads.ToDictionary(l => l.Id, l => l.BrokerId);
        Assert.All(log, a => Assert.Equal(owner[a.LeadId], a.BrokerId));
        Assert.Equal(total, answered.Count(o => owner[o.LeadId] == o.BrokerId));

        // The cap is reached and not exceeded; the uncapped brokers share the rest within 1 of N × weight / Σ.
        var perBroker = log.GroupBy(a => a.BrokerId).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Cap, perBroker.GetValueOrDefault(capped));
        var rest = total - Cap;
        for (var i = 0; i < open.Length; i++)
        {
            var want = (double)rest * weights[i] / weights.Sum();
            var got = perBroker.GetValueOrDefault(open[i]);
            Assert.True(Math.Abs(got - want) <= 1.0, $"broker of weight {weights[i]}: {got}, expected {want} ± 1");
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
        TestContext.Current.TestOutputHelper?.WriteLine($"{total} leads over 2 nodes in {watch.Elapsed.TotalSeconds:F1} s");
    }
}

public sealed class BrokerConcurrentIntakeTests_Sqlite(SqliteApp app) : BrokerConcurrentIntakeTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class BrokerConcurrentIntakeTests_Postgres(PostgresApp app) : BrokerConcurrentIntakeTests<PostgresApp>(app);
