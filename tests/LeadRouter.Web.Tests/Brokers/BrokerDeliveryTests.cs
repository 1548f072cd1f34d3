using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadRouter.Data.Brokers;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Brokers;

public abstract class BrokerDeliveryTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    sealed record Problem(Dictionary<string, string[]> Errors);

    async Task<BrokerDto> AddBrokerAsync(HttpClient admin, string country, bool autoPush = true)
    {
        var response = await admin.PostAsJsonAsync("/api/crm/brokers",
            new { name = Unique("push"), priority = 10, weight = 10, countries = new[] { country }, autoPush }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<BrokerDto>(Json, Ct))!;
    }

    async Task<BrokerApiConfigDto> UploadAsync(HttpClient admin, long brokerId, Uri endpoint, string apiKey = "key-0123456789abcd")
    {
        var response = await admin.PostAsJsonAsync("/api/crm/brokers/upload-api", new
        {
            brokerId,
            endpoint = endpoint.ToString(),
            apiKey,
            method = "POST",
            headers = new Dictionary<string, string> { ["Content-Type"] = "application/json", ["X-Custom-Header"] = "value" },
        }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<BrokerApiConfigDto>(Json, Ct))!;
    }

    async Task<long> AddLeadAsync(string country)
    {
        var leadId = (await App.AddLeadsAsync(Unique("PUSH"), 1))[0];
        await using var db = App.CreateDb();
        await db.Leads.Where(l => l.Id == leadId).ExecuteUpdateAsync(s => s.SetProperty(l => l.Country, country), Ct);
        return leadId;
    }

    /// <summary>Standard Webhooks verification written from the spec, independent of the code under test.</summary>
    static bool SignatureVerifies(string secret, ReceivedPush push)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = $"{push.Header("webhook-id")}.{push.Header("webhook-timestamp")}.{push.Body}";
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(signed)));
        return push.Header("webhook-signature").Split(' ').Contains(expected);
    }

    [Fact]
    public async Task A_routed_lead_is_pushed_from_the_outbox_and_delivered_on_attempt_3_after_two_failures()
    {
        await using var receiver = await TestReceiver.StartAsync(500, 503);
        var admin = await App.ClientAsync(Roles.Admin);
        var broker = await AddBrokerAsync(admin, "NZ");
        var quiet = await AddBrokerAsync(admin, "IS", autoPush: false);
        var config = await UploadAsync(admin, broker.Id, new Uri(receiver.Url, "leads"));
        await UploadAsync(admin, quiet.Id, new Uri(receiver.Url, "quiet"));
        var source = Unique("PUSH");
        await App.Get<SourceRoutes>().SetAsync(source, RouteTarget.Brokers, Ct);
        var leadId = (await App.AddLeadsAsync(source, 1))[0];
        var quietLead = await AddLeadAsync("IS");
        await using (var db = App.CreateDb())
            await db.Leads.Where(l => l.Id == leadId).ExecuteUpdateAsync(s => s.SetProperty(l => l.Country, "NZ"), Ct);
        var dispatcher = App.Get<DispatchDeliveries>();

        var run = await App.Get<RouteLeads>().RouteLeadIdsAsync([leadId, quietLead], RoutingTrigger.Api, Ct);
        var first = await dispatcher.DrainAsync(Ct);
        var early = await dispatcher.DrainAsync(Ct);
        App.Clock.Advance(TimeSpan.FromSeconds(13));
        var second = await dispatcher.DrainAsync(Ct);
        App.Clock.Advance(TimeSpan.FromSeconds(73));
        var third = await dispatcher.DrainAsync(Ct);

        Assert.Equal(2, run.Routed);
        Assert.Equal((1, 0, 1, 1), (first, early, second, third));
        await using var check = App.CreateDb();
        var delivery = await check.Deliveries.SingleAsync(d => d.LeadId == leadId, Ct);
        Assert.False(await check.Deliveries.AnyAsync(d => d.LeadId == quietLead, Ct)); // no auto-push, no outbox row
        Assert.Equal((DeliveryStatus.Delivered, 3, DeliveryTrigger.Routing), (delivery.Status, delivery.Attempts, delivery.Trigger));
        var log = await check.PushLogs.Where(l => l.DeliveryId == delivery.Id).OrderBy(l => l.Attempt).ToListAsync(Ct);
        Assert.Equal([(1, DeliveryStatus.Pending, (int?)500), (2, DeliveryStatus.Pending, 503), (3, DeliveryStatus.Delivered, 200)],
            log.Select(l => (l.Attempt, l.Status, l.HttpStatus)));
        Assert.Equal("answer 200", log[2].ResponseExcerpt);
        var pushes = receiver.Requests.Where(r => r.Path == "/leads").ToList();
        Assert.Equal(3, pushes.Count);
        Assert.All(pushes, p => Assert.Equal(delivery.WebhookId, p.Header("webhook-id")));
        Assert.All(pushes, p => Assert.True(SignatureVerifies(config.NewSigningSecret!, p)));
        Assert.All(pushes, p => Assert.Equal(("key-0123456789abcd", "value", "POST"), (p.Header("X-API-Key"), p.Header("X-Custom-Header"), p.Method)));
        Assert.Equal(leadId, JsonDocument.Parse(pushes[0].Body).RootElement.GetProperty("id").GetInt64());
        var stats = await admin.GetFromJsonAsync<BrokerStatsDto>($"/api/crm/brokers/{broker.Id}/stats", Json, Ct);
        Assert.Equal((1L, 1.0, false), (stats!.Deliveries, stats.PushSuccessRate, stats.Paused));
        Assert.Equal("NZ", JsonDocument.Parse(pushes[0].Body).RootElement.GetProperty("country").GetString());
    }

    [Fact]
    public async Task A_push_to_a_receiver_that_is_down_retries_on_the_ladder_then_dies_and_ten_failures_pause_the_broker()
    {
        var receiver = await TestReceiver.StartAsync();
        var url = receiver.Url;
        await receiver.StopAsync();
        await receiver.DisposeAsync();
        var admin = await App.ClientAsync(Roles.Admin);
        var broker = await AddBrokerAsync(admin, "MT", autoPush: false);
        await UploadAsync(admin, broker.Id, url);
        var leadId = await AddLeadAsync("MT");
        var dispatcher = App.Get<DispatchDeliveries>();
        var started = App.Clock.GetUtcNow();

        var push = await admin.PostAsJsonAsync("/api/crm/brokers/push-lead", new { leadId, brokerId = broker.Id }, Ct);
        var firstAttempt = (await push.Content.ReadFromJsonAsync<PushAttemptDto>(Json, Ct))!;
        var ladder = new[] { 10, 60, 300, 900, 3600 };
        var attemptsBeforeDue = new List<int>();
        var attemptsWhenDue = new List<int>();
        foreach (var seconds in ladder)
        {
            App.Clock.Advance(TimeSpan.FromSeconds(seconds * 0.99));
            attemptsBeforeDue.Add(await dispatcher.DrainAsync(Ct));
            App.Clock.Advance(TimeSpan.FromSeconds(seconds * 0.21 + 1));
            attemptsWhenDue.Add(await dispatcher.DrainAsync(Ct));
        }

        Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        Assert.Equal((1, DeliveryStatus.Pending, (int?)null), (firstAttempt.Attempt, firstAttempt.Status, firstAttempt.HttpStatus));
        Assert.NotNull(firstAttempt.Error);
        Assert.InRange(firstAttempt.NextAttemptAt!.Value, started.AddSeconds(10), started.AddSeconds(12));
        Assert.Equal([0, 0, 0, 0, 0], attemptsBeforeDue);
        Assert.Equal([1, 1, 1, 1, 1], attemptsWhenDue);
        await using (var db = App.CreateDb())
        {
            var delivery = await db.Deliveries.SingleAsync(d => d.Id == firstAttempt.DeliveryId, Ct);
            Assert.Equal((DeliveryStatus.Dead, 6, DeliveryTrigger.Manual), (delivery.Status, delivery.Attempts, delivery.Trigger));
            var log = await db.PushLogs.Where(l => l.DeliveryId == delivery.Id).OrderBy(l => l.Attempt).ToListAsync(Ct);
            Assert.Equal([1, 2, 3, 4, 5, 6], log.Select(l => l.Attempt));
            Assert.All(log, l => Assert.Null(l.HttpStatus));
            Assert.Equal(DeliveryStatus.Dead, log[^1].Status);
            var b = await db.Brokers.SingleAsync(x => x.Id == broker.Id, Ct);
            Assert.Equal((6, true, (DateTimeOffset?)null), (b.ConsecutiveFailures, b.Active, b.PausedAt));
        }

        // Four more failures make ten in a row: the broker is paused (inactive), so routing skips it.
        admin = await App.ClientAsync(Roles.Admin); // the first sign-in expired while the clock moved on
        var again = (await (await admin.PostAsJsonAsync("/api/crm/brokers/push-lead", new { leadId, brokerId = broker.Id }, Ct))
            .Content.ReadFromJsonAsync<PushAttemptDto>(Json, Ct))!;
        foreach (var seconds in ladder.Take(3))
        {
            App.Clock.Advance(TimeSpan.FromSeconds(seconds * 1.2 + 1));
            await dispatcher.DrainAsync(Ct);
        }

        await using (var db = App.CreateDb())
        {
            var b = await db.Brokers.SingleAsync(x => x.Id == broker.Id, Ct);
            Assert.Equal((10, false, true), (b.ConsecutiveFailures, b.Active, b.PausedAt is not null));
            Assert.NotEqual(firstAttempt.WebhookId, again.WebhookId);
        }

        foreach (var seconds in ladder.Skip(3))
        {
            App.Clock.Advance(TimeSpan.FromSeconds(seconds * 1.2 + 1));
            await dispatcher.DrainAsync(Ct);
        }
        await using (var db = App.CreateDb())
            Assert.Equal(DeliveryStatus.Dead, (await db.Deliveries.SingleAsync(d => d.Id == again.DeliveryId, Ct)).Status);
    }

    [Fact]
    public async Task A_dead_delivery_fails_over_to_the_next_eligible_broker()
    {
        var down = await TestReceiver.StartAsync();
        var downUrl = down.Url;
        await down.StopAsync();
        await down.DisposeAsync();
        await using var receiver = await TestReceiver.StartAsync();
        var admin = await App.ClientAsync(Roles.Admin);
        var first = await AddBrokerAsync(admin, "SI");
        var next = (await (await admin.PostAsJsonAsync("/api/crm/brokers",
            new { name = Unique("next"), priority = 5, weight = 10, countries = new[] { "SI" }, autoPush = true }, Ct)).Content.ReadFromJsonAsync<BrokerDto>(Json, Ct))!;
        var failoverSet = await admin.PostAsJsonAsync("/api/crm/brokers/upload-api",
            new { brokerId = first.Id, endpoint = downUrl.ToString(), apiKey = "k-1234567890", failover = true }, Ct);
        await UploadAsync(admin, next.Id, new Uri(receiver.Url, "next"));
        var source = Unique("PUSH");
        await App.Get<SourceRoutes>().SetAsync(source, RouteTarget.Brokers, Ct);
        var leadId = (await App.AddLeadsAsync(source, 1))[0];
        await using (var db = App.CreateDb())
            await db.Leads.Where(l => l.Id == leadId).ExecuteUpdateAsync(s => s.SetProperty(l => l.Country, "SI"), Ct);
        var dispatcher = App.Get<DispatchDeliveries>();

        var routed = await App.Get<RouteLeads>().RouteLeadIdsAsync([leadId], RoutingTrigger.Api, Ct);
        await dispatcher.DrainAsync(Ct);
        foreach (var seconds in new[] { 10, 60, 300, 900, 3600 })
        {
            App.Clock.Advance(TimeSpan.FromSeconds(seconds * 1.2 + 1));
            await dispatcher.DrainAsync(Ct);
        }

        Assert.True((await failoverSet.Content.ReadFromJsonAsync<BrokerApiConfigDto>(Json, Ct))!.Failover);
        Assert.Equal(first.Id, routed.Outcomes.Single().BrokerId);
        await using var check = App.CreateDb();
        var lead = await check.Leads.SingleAsync(l => l.Id == leadId, Ct);
        Assert.Equal(next.Id, lead.BrokerId);
        var assignment = await check.BrokerAssignments.SingleAsync(a => a.LeadId == leadId, Ct);
        Assert.Equal((next.Id, RoutingTrigger.Failover), (assignment.BrokerId, assignment.Trigger));
        var deliveries = await check.Deliveries.Where(d => d.LeadId == leadId).OrderBy(d => d.Id).ToListAsync(Ct);
        Assert.Equal([(first.Id, DeliveryStatus.Dead, 6), (next.Id, DeliveryStatus.Delivered, 1)], deliveries.Select(d => (d.BrokerId, d.Status, d.Attempts)));
        Assert.Equal(deliveries[1].WebhookId, Assert.Single(receiver.Requests).Header("webhook-id"));
    }

    [Fact]
    public async Task A_delivery_claimed_by_a_node_that_died_is_sent_once_after_its_lease_with_the_same_webhook_id()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var admin = await App.ClientAsync(Roles.Admin);
        var broker = await AddBrokerAsync(admin, "LV");
        await UploadAsync(admin, broker.Id, new Uri(receiver.Url, "lease"));
        var source = Unique("PUSH");
        await App.Get<SourceRoutes>().SetAsync(source, RouteTarget.Brokers, Ct);
        var leadId = (await App.AddLeadsAsync(source, 1))[0];
        await using (var db = App.CreateDb())
            await db.Leads.Where(l => l.Id == leadId).ExecuteUpdateAsync(s => s.SetProperty(l => l.Country, "LV"), Ct);
        await App.Get<RouteLeads>().RouteLeadIdsAsync([leadId], RoutingTrigger.Api, Ct);
        var dispatcher = App.Get<DispatchDeliveries>();

        IReadOnlyList<Delivery> claimedByDeadNode;
        await using (var db = App.CreateDb())
            claimedByDeadNode = await DeliveryQueue.ClaimDueAsync(db, App.Clock.GetUtcNow(), TimeSpan.FromMinutes(2), 100, null, Ct);
        var whileLeased = await dispatcher.DrainAsync(Ct);
        App.Clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        var afterLease = await dispatcher.DrainAsync(Ct);
        var again = await dispatcher.DrainAsync(Ct);

        var claimed = Assert.Single(claimedByDeadNode);
        Assert.Equal((0, 1, 0), (whileLeased, afterLease, again));
        Assert.Equal(claimed.WebhookId, Assert.Single(receiver.Requests).Header("webhook-id"));
        await using var check = App.CreateDb();
        Assert.Equal(DeliveryStatus.Delivered, (await check.Deliveries.SingleAsync(d => d.Id == claimed.Id, Ct)).Status);
    }

    [Fact]
    public async Task Concurrent_claims_never_take_the_same_delivery_twice()
    {
        var leads = await App.AddLeadsAsync(Unique("CLAIM"), 40);
        long brokerId;
        await using (var db = App.CreateDb())
        {
            var broker = new Broker { Name = Unique("claims"), Priority = 0, Weight = 0, Active = false, CreatedAt = App.Clock.GetUtcNow() };
            db.Brokers.Add(broker);
            await db.SaveChangesAsync(Ct);
            brokerId = broker.Id;
            db.Deliveries.AddRange(leads.Select(id => DispatchDeliveries.NewDelivery(id, brokerId, DeliveryTrigger.Manual, App.Clock.GetUtcNow())));
            await db.SaveChangesAsync(Ct);
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            await using var db = App.CreateDb();
            return await DeliveryQueue.ClaimDueAsync(db, App.Clock.GetUtcNow(), TimeSpan.FromMinutes(2), 10, null, Ct);
        }));

        var ids = claims.SelectMany(c => c.Select(d => d.Id)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        await using (var db = App.CreateDb())
        {
            var mine = await db.Deliveries.Where(d => d.BrokerId == brokerId).Select(d => d.Id).ToListAsync(Ct);
            Assert.Equal(40, ids.Intersect(mine).Count());
            await db.Deliveries.Where(d => d.BrokerId == brokerId).ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Dead), Ct);
        }
    }

    [Fact]
    public async Task A_batch_records_every_attempt_adds_its_failures_and_a_later_success_resets_them()
    {
        var down = await TestReceiver.StartAsync();
        var downUrl = down.Url;
        await down.StopAsync();
        await down.DisposeAsync();
        await using var receiver = await TestReceiver.StartAsync();
        var admin = await App.ClientAsync(Roles.Admin);
        var broker = await AddBrokerAsync(admin, "HU", autoPush: false);
        await UploadAsync(admin, broker.Id, downUrl);
        var leads = await App.AddLeadsAsync(Unique("BATCH"), 4);
        await using (var db = App.CreateDb())
        {
            db.Deliveries.AddRange(leads.Select(id => DispatchDeliveries.NewDelivery(id, broker.Id, DeliveryTrigger.Manual, App.Clock.GetUtcNow())));
            await db.SaveChangesAsync(Ct);
        }
        var dispatcher = App.Get<DispatchDeliveries>();

        var failed = await dispatcher.DrainAsync(Ct);
        int failuresAfterBatch;
        await using (var db = App.CreateDb())
            failuresAfterBatch = (await db.Brokers.SingleAsync(b => b.Id == broker.Id, Ct)).ConsecutiveFailures;
        await UploadAsync(admin, broker.Id, new Uri(receiver.Url, "batch"));
        App.Clock.Advance(TimeSpan.FromSeconds(13));
        var delivered = await dispatcher.DrainAsync(Ct);

        Assert.Equal((4, 4, 4), (failed, failuresAfterBatch, delivered));
        await using var check = App.CreateDb();
        var rows = await check.Deliveries.Where(d => d.BrokerId == broker.Id).ToListAsync(Ct);
        Assert.All(rows, d => Assert.Equal((DeliveryStatus.Delivered, 2, (int?)200), (d.Status, d.Attempts, d.LastHttpStatus)));
        var ids = rows.Select(d => d.Id).ToList();
        var log = await check.PushLogs.Where(l => l.DeliveryId != null && ids.Contains(l.DeliveryId.Value)).ToListAsync(Ct);
        Assert.Equal(8, log.Count);
        Assert.Equal(4, log.Count(l => l.Attempt == 2 && l.Status == DeliveryStatus.Delivered));
        Assert.Equal(0, (await check.Brokers.SingleAsync(b => b.Id == broker.Id, Ct)).ConsecutiveFailures);
        Assert.Equal(4, receiver.Requests.Select(r => r.Header("webhook-id")).Distinct().Count());
        Assert.Equal(rows.Select(d => d.WebhookId).Order(), receiver.Requests.Select(r => r.Header("webhook-id")).Order());
    }

    [Fact]
    public async Task Upload_api_encrypts_the_api_key_and_secret_and_never_returns_them()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var admin = await App.ClientAsync(Roles.Admin);
        var broker = await AddBrokerAsync(admin, "CY");
        const string apiKey = "sk-live-SECRET-9876wxyz";

        var uploaded = await UploadAsync(admin, broker.Id, new Uri(receiver.Url, "in"), apiKey);
        var shown = await admin.GetFromJsonAsync<BrokerApiConfigDto>($"/api/crm/brokers/{broker.Id}/api-config", Json, Ct);
        var listed = await admin.GetStringAsync("/api/crm/brokers", Ct);
        var reUploaded = await UploadAsync(admin, broker.Id, new Uri(receiver.Url, "in2"), apiKey);

        Assert.Equal("****wxyz", uploaded.ApiKey);
        Assert.StartsWith("whsec_", uploaded.NewSigningSecret);
        Assert.Equal("****" + uploaded.NewSigningSecret![^4..], uploaded.SigningSecret);
        Assert.Equal(("****wxyz", (string?)null), (shown!.ApiKey, shown.NewSigningSecret));
        Assert.Null(reUploaded.NewSigningSecret); // the secret is shown once, when made
        Assert.Equal(uploaded.SigningSecret, reUploaded.SigningSecret);
        Assert.DoesNotContain(apiKey, listed);
        Assert.DoesNotContain(uploaded.NewSigningSecret, listed);
        Assert.Equal(new Dictionary<string, string> { ["X-Custom-Header"] = "value" }, shown.Headers);
        await using var db = App.CreateDb();
        var row = await db.Brokers.SingleAsync(b => b.Id == broker.Id, Ct);
        Assert.DoesNotContain("SECRET", row.ApiKeyProtected);
        Assert.DoesNotContain(uploaded.NewSigningSecret[6..], row.SigningSecretProtected);
    }

    [Fact]
    public async Task Upload_api_names_every_bad_field_and_refuses_internal_addresses()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var broker = await AddBrokerAsync(admin, "LU");

        var bad = await admin.PostAsJsonAsync("/api/crm/brokers/upload-api", new
        {
            brokerId = broker.Id,
            endpoint = "ftp://example.com/x",
            method = "GET",
            headers = new Dictionary<string, string> { ["Bad Header"] = "x", ["webhook-id"] = "y" },
        }, Ct);
        var privateAddress = await admin.PostAsJsonAsync("/api/crm/brokers/upload-api", new { brokerId = broker.Id, endpoint = "http://10.0.0.1/leads" }, Ct);
        var metadata = await admin.PostAsJsonAsync("/api/crm/brokers/upload-api", new { brokerId = broker.Id, endpoint = "http://169.254.169.254/latest/meta-data" }, Ct);
        var noBroker = await admin.PostAsJsonAsync("/api/crm/brokers/upload-api", new { brokerId = 987654321, endpoint = "http://127.0.0.1:9/x" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(["endpoint", "headers.Bad Header", "headers.webhook-id", "method"],
            (await bad.Content.ReadFromJsonAsync<Problem>(Ct))!.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, privateAddress.StatusCode);
        Assert.Equal(["endpoint"], (await privateAddress.Content.ReadFromJsonAsync<Problem>(Ct))!.Errors.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, metadata.StatusCode);
        Assert.Equal(["endpoint"], (await metadata.Content.ReadFromJsonAsync<Problem>(Ct))!.Errors.Keys);
        Assert.Equal(HttpStatusCode.NotFound, noBroker.StatusCode);
        var shown = await admin.GetFromJsonAsync<BrokerApiConfigDto>($"/api/crm/brokers/{broker.Id}/api-config", Json, Ct);
        Assert.Null(shown!.Endpoint);
    }

    [Fact]
    public async Task Test_push_sends_a_signed_sample_lead_and_counts_nothing()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var admin = await App.ClientAsync(Roles.Admin);
        var broker = await AddBrokerAsync(admin, "EE");
        var config = await UploadAsync(admin, broker.Id, new Uri(receiver.Url, "test"));

        var response = await admin.PostAsync($"/api/crm/brokers/{broker.Id}/test-push", null, Ct);
        var result = await response.Content.ReadFromJsonAsync<PushAttemptDto>(Json, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((DeliveryStatus.Delivered, (int?)200, "answer 200"), (result!.Status, result.HttpStatus, result.ResponseExcerpt));
        var push = Assert.Single(receiver.Requests);
        Assert.True(SignatureVerifies(config.NewSigningSecret!, push));
        Assert.True(JsonDocument.Parse(push.Body).RootElement.GetProperty("test").GetBoolean());
        await using var db = App.CreateDb();
        Assert.False(await db.Deliveries.AnyAsync(d => d.BrokerId == broker.Id, Ct));
        Assert.False(await db.BrokerAssignments.AnyAsync(a => a.BrokerId == broker.Id, Ct));
        Assert.True(await db.PushLogs.AnyAsync(l => l.BrokerId == broker.Id && l.Test, Ct));
    }

    [Fact]
    public async Task Push_endpoints_answer_429_with_retry_after_past_the_rate_limit()
    {
        var admin = await App.ClientAsync(Roles.Admin);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 61; i++)
        {
            last = await admin.PostAsJsonAsync("/api/crm/brokers/push-lead", new { leadId = 987654321, brokerId = 987654321 }, Ct);
            statuses.Add(last.StatusCode);
        }

        Assert.All(statuses.Take(60), s => Assert.Equal(HttpStatusCode.NotFound, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[60]);
        Assert.True(last.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }
}

public sealed class BrokerDeliveryTests_Sqlite(SqliteApp app) : BrokerDeliveryTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class BrokerDeliveryTests_Postgres(PostgresApp app) : BrokerDeliveryTests<PostgresApp>(app);
