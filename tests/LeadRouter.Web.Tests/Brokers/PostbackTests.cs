using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary><c>/api/v1/postbacks/{brokerId}</c>: brokers report outcomes, signed or with a token, once per event id.</summary>
public abstract class PostbackTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    sealed record Arranged(long BrokerId, string Secret, string Token, long LeadId, string ExternalRef);

    /// <summary>A broker with a signing secret and a postback token, and a lead routed to it.</summary>
    async Task<Arranged> ArrangeAsync()
    {
        var secret = BrokerSecrets.NewSigningSecret();
        long brokerId;
        await using (var db = App.CreateDb())
        {
            var broker = db.Brokers.Add(new Broker
            {
                Name = Unique("postback"),
                Priority = 5,
                Weight = 10,
                Active = false,
                CreatedAt = App.Clock.GetUtcNow(),
                SigningSecretProtected = App.Get<BrokerSecrets>().Protect(secret),
            }).Entity;
            await db.SaveChangesAsync(Ct);
            brokerId = broker.Id;
        }

        var token = (await App.Get<PostbackTokens>().IssueAsync(brokerId, Ct))!;
        var leadId = await RoutedLeadAsync(brokerId);
        var externalRef = Unique("ext");
        await using (var db = App.CreateDb())
            await db.Leads.Where(l => l.Id == leadId).ExecuteUpdateAsync(s => s.SetProperty(l => l.ExternalId, externalRef), Ct);
        return new Arranged(brokerId, secret, token, leadId, externalRef);
    }

    async Task<long> RoutedLeadAsync(long brokerId)
    {
        var leadId = (await App.AddLeadsAsync(Unique("PB"), 1))[0];
        await using var db = App.CreateDb();
        var now = App.Clock.GetUtcNow();
        await db.Leads.Where(l => l.Id == leadId).ExecuteUpdateAsync(s => s
            .SetProperty(l => l.BrokerId, brokerId).SetProperty(l => l.Status, LeadStatus.Pending).SetProperty(l => l.AssignedAt, now), Ct);
        db.BrokerAssignments.Add(new BrokerAssignment { LeadId = leadId, BrokerId = brokerId, Priority = 5, Decision = "{}", RoutedAt = now });
        await db.SaveChangesAsync(Ct);
        return leadId;
    }

    /// <summary>Standard Webhooks signing written from the spec, independent of the code under test.</summary>
    static HttpRequestMessage Signed(HttpMethod method, string url, string secret, long timestamp, string? body = null)
    {
        var id = "msg_" + Guid.NewGuid().ToString("N");
        var signed = body ?? url;
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signature = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{signed}")));
        var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature);
        return request;
    }

    long Now => App.Clock.GetUtcNow().ToUnixTimeSeconds();

    [Fact]
    public async Task A_signed_deposit_is_stored_exactly_with_the_lead_and_shows_in_its_timeline()
    {
        var a = await ArrangeAsync();
        var client = App.CreateClient();
        var body = JsonSerializer.Serialize(new { leadId = a.LeadId, @event = "deposit", amount = 250.5m, currency = "usd", eventId = "dep-1", occurredAt = "2025-01-06T08:30:00Z" });

        var response = await client.SendAsync(Signed(HttpMethod.Post, $"/api/v1/postbacks/{a.BrokerId}", a.Secret, Now, body), Ct);
        var result = await response.Content.ReadFromJsonAsync<PostbackResult>(Json, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("deposit", 250.50m, "USD", a.LeadId), (result!.Event, result.Amount, result.Currency, result.LeadId));
        await using var db = App.CreateDb();
        var ev = await db.LeadEvents.SingleAsync(e => e.BrokerId == a.BrokerId && e.EventId == "dep-1", Ct);
        Assert.Equal((25050L, "USD", "signature"), (ev.AmountMinor, ev.Currency, ev.AuthMethod));
        var outcome = await db.LeadOutcomes.SingleAsync(o => o.LeadId == a.LeadId, Ct);
        Assert.Equal((25050L, "USD", new DateTimeOffset(2025, 1, 6, 8, 30, 0, TimeSpan.Zero)),
            (outcome.FirstDepositMinor, outcome.FirstDepositCurrency, outcome.FirstDepositAt));
        var admin = await App.ClientAsync(Roles.Admin);
        var timeline = await admin.GetFromJsonAsync<List<TimelineEntry>>($"/api/v1/leads/{a.LeadId}/timeline", Json, Ct);
        Assert.Contains(timeline!, e => e.Kind == "postback" && e.Event == "deposit" && e.Amount == 250.50m && e.Currency == "USD");
        Assert.Contains(timeline!, e => e.Kind == "routed" && e.BrokerId == a.BrokerId);
    }

    [Fact]
    public async Task The_get_form_with_a_token_converts_the_lead_and_records_the_status_change()
    {
        var a = await ArrangeAsync();
        var client = App.CreateClient();

        var response = await client.GetAsync(
            $"/api/v1/postbacks/{a.BrokerId}?externalRef={a.ExternalRef}&event=converted&eventId=conv-1&token={a.Token}", Ct);
        var byHeader = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/postbacks/{a.BrokerId}?leadId={a.LeadId}&event=contacted&eventId=c-1");
        byHeader.Headers.Add("X-Postback-Token", a.Token);
        var contacted = await client.SendAsync(byHeader, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, contacted.StatusCode);
        await using var db = App.CreateDb();
        var lead = await db.Leads.SingleAsync(l => l.Id == a.LeadId, Ct);
        Assert.Equal(LeadStatus.Converted, lead.Status); // contacted after converted does not move it back
        var change = await db.LeadStatusChanges.SingleAsync(c => c.LeadId == a.LeadId, Ct);
        Assert.Equal((LeadStatus.Pending, LeadStatus.Converted), (change.From, change.To));
        Assert.Equal(App.Clock.GetUtcNow(), (await db.LeadOutcomes.SingleAsync(o => o.LeadId == a.LeadId, Ct)).ConvertedAt);
    }

    [Fact]
    public async Task A_broker_past_its_postback_rate_limit_from_one_address_gets_429_while_other_brokers_and_addresses_are_still_answered()
    {
        var limited = await ArrangeAsync();
        var other = await ArrangeAsync();
        var client = App.CreateClient(); // the same client address for both brokers, as from one affiliate platform

        // The default limit, 600 a minute per broker, counts refused calls too.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 600; i++)
            statuses.Add((await client.GetAsync($"/api/v1/postbacks/{limited.BrokerId}?leadId={limited.LeadId}&event=accepted&eventId=e-{i}&token=wrong", Ct)).StatusCode);
        var refused = await client.GetAsync($"/api/v1/postbacks/{limited.BrokerId}?leadId={limited.LeadId}&event=accepted&eventId=late&token={limited.Token}", Ct);
        var answered = await client.GetAsync($"/api/v1/postbacks/{other.BrokerId}?leadId={other.LeadId}&event=accepted&eventId=on-time&token={other.Token}", Ct);
        var elsewhere = await App.Server.SendAsync(http =>
        {
            http.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
            http.Request.Method = "GET";
            http.Request.Path = $"/api/v1/postbacks/{limited.BrokerId}";
            http.Request.QueryString = new QueryString($"?leadId={limited.LeadId}&event=accepted&eventId=from-platform&token={limited.Token}");
        }, Ct);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(StatusCodes.Status200OK, elsewhere.Response.StatusCode);
        await using var db = App.CreateDb();
        Assert.Equal(["from-platform"], await db.LeadEvents.Where(e => e.BrokerId == limited.BrokerId).Select(e => e.EventId).ToListAsync(Ct));
    }

    [Fact]
    public async Task A_signed_get_postback_is_accepted()
    {
        var a = await ArrangeAsync();

        var response = await App.CreateClient().SendAsync(
            Signed(HttpMethod.Get, $"/api/v1/postbacks/{a.BrokerId}?leadId={a.LeadId}&event=accepted&eventId=acc-1", a.Secret, Now), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_wrong_signature_a_stale_timestamp_a_wrong_token_or_no_credentials_get_401_and_nothing_is_stored()
    {
        var a = await ArrangeAsync();
        var client = App.CreateClient();
        var body = JsonSerializer.Serialize(new { leadId = a.LeadId, @event = "accepted", eventId = "bad-1" });
        var tampered = Signed(HttpMethod.Post, $"/api/v1/postbacks/{a.BrokerId}", a.Secret, Now, body);
        tampered.Content = new StringContent(body.Replace("accepted", "rejected", StringComparison.Ordinal), Encoding.UTF8, "application/json");

        var responses = new[]
        {
            await client.SendAsync(tampered, Ct),
            await client.SendAsync(Signed(HttpMethod.Post, $"/api/v1/postbacks/{a.BrokerId}", BrokerSecrets.NewSigningSecret(), Now, body), Ct),
            await client.SendAsync(Signed(HttpMethod.Post, $"/api/v1/postbacks/{a.BrokerId}", a.Secret, Now - 600, body), Ct),
            await client.GetAsync($"/api/v1/postbacks/{a.BrokerId}?leadId={a.LeadId}&event=accepted&eventId=bad-1&token=pbt_wrong", Ct),
            await client.GetAsync($"/api/v1/postbacks/{a.BrokerId}?leadId={a.LeadId}&event=accepted&eventId=bad-1", Ct),
            await client.PostAsync($"/api/v1/postbacks/{a.BrokerId + 100000}?token={a.Token}", new StringContent(body, Encoding.UTF8, "application/json"), Ct),
        };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        await using var db = App.CreateDb();
        Assert.False(await db.LeadEvents.AnyAsync(e => e.LeadId == a.LeadId, Ct));
    }

    [Fact]
    public async Task A_repeated_event_id_returns_the_first_result_and_changes_nothing()
    {
        var a = await ArrangeAsync();
        var client = App.CreateClient();
        var url = $"/api/v1/postbacks/{a.BrokerId}?token={a.Token}";
        var first = await client.PostAsJsonAsync(url, new { leadId = a.LeadId, @event = "deposit", amount = "100", currency = "EUR", eventId = "d-1" }, Ct);
        var firstText = await first.Content.ReadAsStringAsync(Ct);
        App.Clock.Advance(TimeSpan.FromMinutes(1));

        var repeat = await client.PostAsJsonAsync(url, new { leadId = a.LeadId, @event = "lost", eventId = "d-1" }, Ct);
        var repeatText = await repeat.Content.ReadAsStringAsync(Ct);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, repeat.StatusCode));
        Assert.Equal(firstText, repeatText);
        Assert.True(repeat.Headers.Contains("Idempotent-Replayed"));
        await using var db = App.CreateDb();
        Assert.Equal(1, await db.LeadEvents.CountAsync(e => e.LeadId == a.LeadId, Ct));
        Assert.Equal(LeadStatus.Pending, (await db.Leads.SingleAsync(l => l.Id == a.LeadId, Ct)).Status);
        Assert.Equal(10000L, (await db.LeadOutcomes.SingleAsync(o => o.LeadId == a.LeadId, Ct)).FirstDepositMinor);
    }

    [Fact]
    public async Task An_unknown_lead_gets_404_and_a_lead_of_another_broker_gets_409_with_the_reason()
    {
        var a = await ArrangeAsync();
        var other = await ArrangeAsync();
        var client = App.CreateClient();

        var unknown = await client.GetAsync($"/api/v1/postbacks/{a.BrokerId}?leadId=999999999&event=accepted&eventId=u-1&token={a.Token}", Ct);
        var unknownRef = await client.GetAsync($"/api/v1/postbacks/{a.BrokerId}?externalRef=nope-{Guid.NewGuid():N}&event=accepted&eventId=u-2&token={a.Token}", Ct);
        var foreign = await client.GetAsync($"/api/v1/postbacks/{a.BrokerId}?leadId={other.LeadId}&event=accepted&eventId=f-1&token={a.Token}", Ct);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownRef.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, foreign.StatusCode);
        Assert.Contains("another broker", (await foreign.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString());
        await using var db = App.CreateDb();
        Assert.False(await db.LeadEvents.AnyAsync(e => e.BrokerId == a.BrokerId, Ct));
    }

    [Theory]
    [InlineData("deposit", "10.123", "USD", "amount")]
    [InlineData("deposit", "10.5", "JPY", "amount")]
    [InlineData("deposit", "10", "XYZ", "currency")]
    [InlineData("deposit", "10", null, "currency")]
    [InlineData("won", null, null, "event")]
    [InlineData("accepted,rejected", null, null, "event")]
    public async Task Bad_fields_get_400_naming_the_field(string ev, string? amount, string? currency, string field)
    {
        var a = await ArrangeAsync();

        var response = await App.CreateClient().PostAsJsonAsync($"/api/v1/postbacks/{a.BrokerId}?token={a.Token}",
            new { leadId = a.LeadId, @event = ev, amount, currency, eventId = Unique("e") }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public void The_rules_enums_mirror_the_stored_ones_name_for_name()
    {
        Assert.Equal(Enum.GetNames<LeadStatus>(), Enum.GetNames<Domain.Postbacks.LeadStage>());
        Assert.Equal(Enum.GetNames<PostbackEvent>(), Enum.GetNames<Domain.Postbacks.OutcomeKind>());
    }

    [Fact]
    public async Task KWD_keeps_three_decimals_and_JPY_none()
    {
        var a = await ArrangeAsync();
        var client = App.CreateClient();

        var kwd = await client.GetFromJsonAsync<PostbackResult>(
            $"/api/v1/postbacks/{a.BrokerId}?leadId={a.LeadId}&event=deposit&amount=12.345&currency=KWD&eventId=k-1&token={a.Token}", Json, Ct);
        var jpy = await client.GetFromJsonAsync<PostbackResult>(
            $"/api/v1/postbacks/{a.BrokerId}?leadId={a.LeadId}&event=deposit&amount=1500&currency=JPY&eventId=j-1&token={a.Token}", Json, Ct);

        Assert.Equal(12.345m, kwd!.Amount);
        Assert.Equal(1500m, jpy!.Amount);
        await using var db = App.CreateDb();
        Assert.Equal([12345L, 1500L], await db.LeadEvents.Where(e => e.LeadId == a.LeadId).OrderBy(e => e.Id).Select(e => e.AmountMinor!.Value).ToListAsync(Ct));
    }
}

public sealed class PostbackTests_Sqlite(SqliteApp app) : PostbackTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class PostbackTests_Postgres(PostgresApp app) : PostbackTests<PostgresApp>(app);
