using System.Collections.Concurrent;
using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary>
/// Two nodes (two app instances on one database) drain one delivery outbox at the same time, to several brokers behind a
/// real HTTP receiver. Their batches' records (delivery statuses, push log rows, broker failure counts, and the report
/// rollup rows the triggers update in the same transaction) overlap all the time, so on PostgreSQL they must take their
/// row locks in one order without losing or doubling an outcome; a record the database still ends as a deadlock victim
/// is run again whole.
/// </summary>
public abstract class ConcurrentDispatchTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    const int Brokers = 3, Leads = 600;

    [Fact]
    public async Task Two_nodes_draining_one_outbox_deliver_each_lead_once_log_every_attempt_and_keep_the_rollups_exact()
    {
        // Every third lead's first push is answered 503 (retried later); every other push 200, 201 or 202 by lead (each
        // success code is a statement of its own when a batch is recorded).
        var answers = new ConcurrentDictionary<string, ConcurrentQueue<int>>();
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Answer = push =>
        {
            var leadId = JsonDocument.Parse(push.Body).RootElement.GetProperty("id").GetInt64();
            var sent = answers.GetOrAdd(push.Header("webhook-id"), _ => new ConcurrentQueue<int>());
            var status = sent.IsEmpty && leadId % 3 == 0 ? 503 : Success(leadId);
            sent.Enqueue(status);
            return status;
        };
        var (brokerIds, leads, routed) = await RoutedAsync("PT", Brokers, Leads, receiver);
        // Small batches, so the two nodes record many batches each, side by side.
        var options = Options.Create(new BrokersOptions { DispatchBatchSize = 24, DispatchParallelism = 8 });
        await using var peer = new PeerApp(App);
        var nodes = new[] { App.Services, peer.Services }.Select(s => ActivatorUtilities.CreateInstance<DispatchDeliveries>(s, options)).ToArray();

        var first = await Task.WhenAll(nodes.Select(n => Task.Run(() => n.DrainAsync(Ct), Ct)));
        App.Clock.Advance(TimeSpan.FromSeconds(13)); // past the first retry delay (10 s + up to 20 % jitter)
        var second = await Task.WhenAll(nodes.Select(n => Task.Run(() => n.DrainAsync(Ct), Ct)));

        var retried = leads.Count(id => id % 3 == 0);
        Assert.Equal(Leads, routed);
        Assert.All(first, attempts => Assert.True(attempts > 0, "both nodes took part"));
        Assert.Equal(Leads + retried, first.Sum() + second.Sum());
        Assert.Equal(Leads + retried, receiver.Requests.Count);
        await using var check = App.CreateDb();
        var deliveries = await check.Deliveries.AsNoTracking().Where(d => brokerIds.Contains(d.BrokerId)).ToListAsync(Ct);
        Assert.Equal(Leads, deliveries.Count);
        Assert.Equal(leads.Order(), deliveries.Select(d => d.LeadId).Order());
        // Each delivery pushed until its one 200, and recorded as delivered with exactly that many attempts.
        Assert.All(deliveries, d =>
        {
            Assert.Equal(d.LeadId % 3 == 0 ? [503, Success(d.LeadId)] : [Success(d.LeadId)], answers[d.WebhookId].ToArray());
            Assert.Equal((DeliveryStatus.Delivered, answers[d.WebhookId].Count), (d.Status, d.Attempts));
        });
        // One log row per attempt, numbered 1…n, the last one delivered.
        var logs = await check.PushLogs.AsNoTracking().Where(l => brokerIds.Contains(l.BrokerId)).ToListAsync(Ct);
        Assert.Equal(
            deliveries.Select(d => $"{d.Id}:{string.Join(',', Enumerable.Range(1, d.Attempts))}:Delivered").Order(StringComparer.Ordinal),
            logs.GroupBy(l => l.DeliveryId!.Value).Select(g =>
                    $"{g.Key}:{string.Join(',', g.Select(l => l.Attempt).Order())}:{g.MaxBy(l => l.Attempt)!.Status}")
                .Order(StringComparer.Ordinal));
        // The last batches all succeeded: no broker has failures in a row left.
        Assert.All(await check.Brokers.AsNoTracking().Where(b => brokerIds.Contains(b.Id)).ToListAsync(Ct),
            b => Assert.Equal(0, b.ConsecutiveFailures));
        await ReportRollupRecount.AssertMatchAsync(App, brokerIds);
        // The records took their locks in one order: none had to be run again after a deadlock.
        Assert.Equal(0, nodes.Sum(n => n.RecordRetries));
    }

    [Fact]
    public async Task A_record_the_database_ends_as_a_deadlock_victim_is_rolled_back_and_run_again_storing_each_outcome_once()
    {
        if (App.Target.Provider != DatabaseProvider.Postgres)
            Assert.Skip("SQLite has one writer at a time: a record waits for the write lock and is never a deadlock victim.");
        await using var receiver = await TestReceiver.StartAsync();
        var (brokerIds, leads, _) = await RoutedAsync("CY", 1, 2, receiver);
        var dispatcher = ActivatorUtilities.CreateInstance<DispatchDeliveries>(App.Services);
        // The first log row of this broker fails as a deadlock victim's statement does (SQLSTATE 40P01), after the record
        // changed the deliveries in its transaction. (A real deadlock's victim is whichever session checks for it first,
        // so a test provoking one would fail the other writer now and then.)
        var name = $"victim_{Guid.NewGuid():N}";
        var create = $$"""
                CREATE SEQUENCE {{name}}_rows;
                CREATE FUNCTION {{name}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
                BEGIN
                    IF nextval('{{name}}_rows') = 1 THEN RAISE EXCEPTION 'deadlock detected (test)' USING ERRCODE = 'deadlock_detected'; END IF;
                    RETURN NULL;
                END $fn$;
                CREATE TRIGGER {{name}} AFTER INSERT ON "LeadPushLogs" FOR EACH ROW WHEN (NEW."BrokerId" = {{brokerIds[0]}})
                    EXECUTE FUNCTION {{name}}();
                """;
        var drop = $"""DROP TRIGGER {name} ON "LeadPushLogs"; DROP FUNCTION {name}(); DROP SEQUENCE {name}_rows;""";
        await using (var db = App.CreateDb())
            await db.Database.ExecuteSqlRawAsync(create, Ct);
        try
        {
            var attempts = await dispatcher.DrainAsync(Ct);

            Assert.Equal(2, attempts);
            Assert.Equal(1, dispatcher.RecordRetries);
            Assert.Equal(2, receiver.Requests.Count); // only the record ran again, not the pushes
            await using var check = App.CreateDb();
            var deliveries = await check.Deliveries.AsNoTracking().Where(d => brokerIds.Contains(d.BrokerId)).OrderBy(d => d.LeadId).ToListAsync(Ct);
            Assert.Equal([(leads[0], DeliveryStatus.Delivered, 1), (leads[1], DeliveryStatus.Delivered, 1)],
                deliveries.Select(d => (d.LeadId, d.Status, d.Attempts)));
            var logs = await check.PushLogs.AsNoTracking().Where(l => brokerIds.Contains(l.BrokerId)).OrderBy(l => l.LeadId).ToListAsync(Ct);
            Assert.Equal([(leads[0], 1, DeliveryStatus.Delivered), (leads[1], 1, DeliveryStatus.Delivered)],
                logs.Select(l => (l.LeadId!.Value, l.Attempt, l.Status)));
            await ReportRollupRecount.AssertMatchAsync(App, brokerIds);
        }
        finally
        {
            await using var db = App.CreateDb();
            await db.Database.ExecuteSqlRawAsync(drop, Ct);
        }
    }

    /// <summary>
    /// <paramref name="brokers"/> brokers of <paramref name="country"/> with auto-push to <paramref name="receiver"/>, and
    /// <paramref name="count"/> new leads routed to them (so each has a routing row and a due delivery).
    /// </summary>
    async Task<(long[] BrokerIds, IReadOnlyList<long> Leads, int Routed)> RoutedAsync(string country, int brokers, int count, TestReceiver receiver)
    {
        var brokerIds = new long[brokers];
        for (var i = 0; i < brokers; i++)
        {
            brokerIds[i] = (await App.Get<BrokerDirectory>().AddAsync(new NewBroker(Unique($"node{i}"), 5, 10, [country], AutoPush: true), Ct)).Id;
            Assert.NotNull(await App.Get<BrokerApiConfig>().SetAsync(new BrokerApiConfigRequest(brokerIds[i], new Uri(receiver.Url, $"b{i}").ToString()), Ct));
        }
        var source = Unique("NODES");
        await App.Get<SourceRoutes>().SetAsync(source, RouteTarget.Brokers, Ct);
        var leads = await App.AddLeadsAsync(source, count);
        await using (var db = App.CreateDb())
            await db.Leads.Where(l => leads.Contains(l.Id)).ExecuteUpdateAsync(s => s.SetProperty(l => l.Country, country), Ct);
        var run = await App.Get<RouteLeads>().RouteLeadIdsAsync(leads, RoutingTrigger.Api, Ct);
        return (brokerIds, leads, run.Routed);
    }

    static int Success(long leadId) => 200 + (int)(leadId / 3 % 3);
}

public sealed class ConcurrentDispatchTests_Sqlite(SqliteApp app) : ConcurrentDispatchTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class ConcurrentDispatchTests_Postgres(PostgresApp app) : ConcurrentDispatchTests<PostgresApp>(app);
