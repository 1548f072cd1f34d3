using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadRouter.Data.Brokers;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Leads;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary><c>POST /api/v1/leads</c>: normalised like an import, de-duplicated, routed, idempotent by key.</summary>
public abstract class BrokerIntakeApiTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    sealed record Problem(Dictionary<string, string[]> Errors);

    async Task<(HttpClient Admin, string Source, BrokerDto Broker)> ArrangeAsync(string country)
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var source = Unique("API");
        await App.Get<SourceRoutes>().SetAsync(source, RouteTarget.Brokers, Ct);
        var broker = (await (await admin.PostAsJsonAsync("/api/crm/brokers",
            new { name = Unique("intake"), priority = 10, weight = 10, countries = new[] { country } }, Ct)).Content.ReadFromJsonAsync<BrokerDto>(Json, Ct))!;
        return (admin, source, broker);
    }

    [Fact]
    public async Task An_array_is_normalised_deduplicated_and_routed_with_each_leads_id_and_outcome()
    {
        var (admin, source, broker) = await ArrangeAsync("PT");
        var tag = Guid.NewGuid().ToString("N")[..8];

        var response = await admin.PostAsJsonAsync("/api/v1/leads", new object[]
        {
            new { name = "Ana Silva", email = $"Ana.{tag}@Example.com", phone = "+351 912 345 678", country = "Portugal", amount = "1,500", source, attributes = new { campaign = "spring" } },
            new { name = "Rui Costa", email = $"rui.{tag}@example.com", country = "PT", amount = 800, source },
            new { name = "Ana again", email = $"ana.{tag}@example.com", country = "PT", source },
        }, Ct);
        var result = await response.Content.ReadFromJsonAsync<IntakeResult>(Json, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((2, 1), (result!.Accepted, result.Duplicates));
        Assert.Equal([("routed", broker.Name, false), ("routed", broker.Name, false), ("routed", broker.Name, true)],
            result.Leads.Select(l => (l.Outcome, l.Broker, l.Duplicate)));
        Assert.Equal(result.Leads[0].LeadId, result.Leads[2].LeadId);
        await using var db = App.CreateDb();
        var ana = await db.Leads.SingleAsync(l => l.Id == result.Leads[0].LeadId, Ct);
        Assert.Equal(($"ana.{tag}@example.com", "+351912345678", "PT", (decimal?)1500m, broker.Id),
            (ana.Email, ana.Phone, ana.Country, ana.Amount, ana.BrokerId));
        Assert.Contains("spring", ana.Attributes);
    }

    [Fact]
    public async Task One_lead_as_an_object_is_accepted_and_an_invalid_lead_rejects_the_whole_call()
    {
        var (admin, source, _) = await ArrangeAsync("GR");
        var tag = Guid.NewGuid().ToString("N")[..8];

        var one = await admin.PostAsJsonAsync("/api/v1/leads", new { name = "Eleni", email = $"eleni.{tag}@example.com", country = "GR", source }, Ct);
        var bad = await admin.PostAsJsonAsync("/api/v1/leads", new object[]
        {
            new { name = "Fine", email = $"fine.{tag}@example.com", country = "GR", source },
            new { name = "Broken", email = "not-an-email", source },
            new { name = "Nested", email = $"n.{tag}@example.com", phone = new { a = 1 } },
        }, Ct);

        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("routed", Assert.Single((await one.Content.ReadFromJsonAsync<IntakeResult>(Json, Ct))!.Leads).Outcome);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(["[2].phone"], (await bad.Content.ReadFromJsonAsync<Problem>(Ct))!.Errors.Keys);
        var badEmail = await admin.PostAsJsonAsync("/api/v1/leads", new object[]
        {
            new { name = "Fine", email = $"fine.{tag}@example.com", country = "GR", source },
            new { name = "Broken", email = "not-an-email", source },
        }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badEmail.StatusCode);
        Assert.Equal(["[1].email"], (await badEmail.Content.ReadFromJsonAsync<Problem>(Ct))!.Errors.Keys);
        await using var db = App.CreateDb();
        Assert.False(await db.Leads.AnyAsync(l => l.Email == $"fine.{tag}@example.com", Ct)); // nothing stored
    }

    [Fact]
    public async Task A_user_past_the_intake_rate_limit_gets_429_with_retry_after_while_another_user_is_still_answered()
    {
        var (admin, source, _) = await ArrangeAsync("CY");
        var other = await App.ClientAsync(Roles.Admin);

        // The default limit, 600 calls a minute per user, counts refused calls too (an empty array is a 400).
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 600; i++) statuses.Add((await admin.PostAsJsonAsync("/api/v1/leads", Array.Empty<object>(), Ct)).StatusCode);
        var refused = await admin.PostAsJsonAsync("/api/v1/leads", new { name = "Late", email = $"{Unique("late")}@example.com", country = "CY", source }, Ct);
        var answered = await other.PostAsJsonAsync("/api/v1/leads", new { name = "On Time", email = $"{Unique("ontime")}@example.com", country = "CY", source }, Ct);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.BadRequest, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.True(answered.IsSuccessStatusCode, $"the other user got {answered.StatusCode}");
        await using var db = App.CreateDb();
        Assert.False(await db.Leads.AnyAsync(l => l.Name == "Late" && l.Email!.StartsWith("late-"), Ct));
    }

    [Fact]
    public async Task A_repeat_with_the_same_idempotency_key_returns_the_first_result_and_stores_nothing_new()
    {
        var (admin, source, _) = await ArrangeAsync("HR");
        var tag = Guid.NewGuid().ToString("N")[..8];
        var key = Guid.NewGuid().ToString();
        var body = new[] { new { name = "Ivo", email = $"ivo.{tag}@example.com", country = "HR", source } };

        HttpRequestMessage Request(object content)
        {
            var m = new HttpRequestMessage(HttpMethod.Post, "/api/v1/leads") { Content = JsonContent.Create(content) };
            m.Headers.Add("Idempotency-Key", key);
            return m;
        }
        var first = await admin.SendAsync(Request(body), Ct);
        var firstText = await first.Content.ReadAsStringAsync(Ct);
        var repeat = await admin.SendAsync(Request(body), Ct);
        var repeatText = await repeat.Content.ReadAsStringAsync(Ct);
        var otherBody = await admin.SendAsync(Request(new[] { new { name = "Other", email = $"other.{tag}@example.com", source } }), Ct);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, repeat.StatusCode));
        Assert.Equal(firstText, repeatText);
        Assert.True(repeat.Headers.Contains("Idempotent-Replayed"));
        Assert.False(JsonSerializer.Deserialize<IntakeResult>(repeatText, Json)!.Leads[0].Duplicate);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherBody.StatusCode);
        await using var db = App.CreateDb();
        Assert.Equal(1, await db.Leads.CountAsync(l => l.Email == $"ivo.{tag}@example.com", Ct));
        Assert.False(await db.Leads.AnyAsync(l => l.Email == $"other.{tag}@example.com", Ct));
        Assert.Equal(1, await db.Imports.CountAsync(i => i.Id == JsonSerializer.Deserialize<IntakeResult>(firstText, Json)!.ImportId, Ct));
    }
}

public sealed class BrokerIntakeApiTests_Sqlite(SqliteApp app) : BrokerIntakeApiTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class BrokerIntakeApiTests_Postgres(PostgresApp app) : BrokerIntakeApiTests<PostgresApp>(app);
