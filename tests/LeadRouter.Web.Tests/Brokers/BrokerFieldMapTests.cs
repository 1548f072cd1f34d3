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

/// <summary>A broker's field mapping shapes the push body: only the mapped fields, under the receiver's names, in order.</summary>
public abstract class BrokerFieldMapTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    sealed record Problem(Dictionary<string, string[]> Errors);

    async Task<(HttpClient Admin, BrokerDto Broker)> AddBrokerAsync(string country)
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var response = await admin.PostAsJsonAsync("/api/crm/brokers",
            new { name = Unique("mapped"), priority = 10, weight = 10, countries = new[] { country }, autoPush = true }, Ct);
        response.EnsureSuccessStatusCode();
        return (admin, (await response.Content.ReadFromJsonAsync<BrokerDto>(Json, Ct))!);
    }

    static object Upload(long brokerId, Uri endpoint, object? fieldMap) =>
        new { brokerId, endpoint = endpoint.ToString(), apiKey = "key-0123456789abcd", fieldMap };

    static bool SignatureVerifies(string secret, ReceivedPush push)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = $"{push.Header("webhook-id")}.{push.Header("webhook-timestamp")}.{push.Body}";
        return push.Header("webhook-signature") == "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(signed)));
    }

    [Fact]
    public async Task A_routed_lead_is_pushed_with_only_the_mapped_fields_under_the_receivers_names()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (admin, broker) = await AddBrokerAsync("IE");
        var fieldMap = new Dictionary<string, string>
        {
            ["email"] = "contact_email",
            ["phone"] = "msisdn",
            ["attributes.campaign"] = "campaign_id",
            ["id"] = "ref",
            ["amount"] = "value",
            ["attributes.missing"] = "nothing",
        };
        var upload = await admin.PostAsJsonAsync("/api/crm/brokers/upload-api", Upload(broker.Id, new Uri(receiver.Url, "mapped"), fieldMap), Ct);
        var config = (await upload.Content.ReadFromJsonAsync<BrokerApiConfigDto>(Json, Ct))!;
        var shown = await admin.GetFromJsonAsync<BrokerApiConfigDto>($"/api/crm/brokers/{broker.Id}/api-config", Json, Ct);
        var source = Unique("MAP");
        await App.Get<SourceRoutes>().SetAsync(source, RouteTarget.Brokers, Ct);
        var leadId = (await App.AddLeadsAsync(source, 1))[0];
        await using (var db = App.CreateDb())
            await db.Leads.Where(l => l.Id == leadId).ExecuteUpdateAsync(s => s
                .SetProperty(l => l.Country, "IE")
                .SetProperty(l => l.Phone, "+353851234567")
                .SetProperty(l => l.Amount, 250.5m)
                .SetProperty(l => l.Attributes, """{"Campaign":"spring","utm":"x"}"""), Ct);

        await App.Get<RouteLeads>().RouteLeadIdsAsync([leadId], RoutingTrigger.Api, Ct);
        var attempts = await App.Get<DispatchDeliveries>().DrainAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(fieldMap.ToList(), config.FieldMap!.ToList());
        Assert.Equal(fieldMap.ToList(), shown!.FieldMap!.ToList());
        Assert.Equal(1, attempts);
        var push = Assert.Single(receiver.Requests);
        string email;
        await using (var db = App.CreateDb()) email = (await db.Leads.SingleAsync(l => l.Id == leadId, Ct)).Email!;
        Assert.Equal($$"""{"contact_email":"{{email}}","msisdn":"+353851234567","campaign_id":"spring","ref":{{leadId}},"value":250.5,"nothing":null}""",
            push.Body);
        Assert.True(SignatureVerifies(config.NewSigningSecret!, push));
    }

    [Fact]
    public async Task Without_a_field_map_the_whole_lead_is_sent_and_a_test_push_follows_the_map()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (admin, broker) = await AddBrokerAsync("FI");
        await admin.PostAsJsonAsync("/api/crm/brokers/upload-api", Upload(broker.Id, new Uri(receiver.Url, "whole"), null), Ct);
        await admin.PostAsync($"/api/crm/brokers/{broker.Id}/test-push", null, Ct);
        await admin.PostAsJsonAsync("/api/crm/brokers/upload-api",
            Upload(broker.Id, new Uri(receiver.Url, "mapped"), new Dictionary<string, string> { ["name"] = "full_name", ["country"] = "geo" }), Ct);

        var test = await admin.PostAsync($"/api/crm/brokers/{broker.Id}/test-push", null, Ct);

        Assert.Equal(HttpStatusCode.OK, test.StatusCode);
        var pushes = receiver.Requests.ToList();
        Assert.Equal(2, pushes.Count);
        Assert.Equal(["id", "externalId", "name", "email", "phone", "company", "address", "city", "country", "amount", "grade", "score",
            "source", "createdAt", "attributes", "test"], JsonDocument.Parse(pushes[0].Body).RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("""{"full_name":"Test Lead","geo":"AE","test":true}""", pushes[1].Body);
    }

    [Fact]
    public async Task An_unknown_lead_field_or_a_repeated_receiver_name_is_refused_with_400_and_nothing_changes()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (admin, broker) = await AddBrokerAsync("DK");
        var good = new Dictionary<string, string> { ["email"] = "mail" };
        await admin.PostAsJsonAsync("/api/crm/brokers/upload-api", Upload(broker.Id, new Uri(receiver.Url, "a"), good), Ct);

        var bad = await admin.PostAsJsonAsync("/api/crm/brokers/upload-api", Upload(broker.Id, new Uri(receiver.Url, "b"),
            new Dictionary<string, string> { ["email"] = "x", ["favouriteColour"] = "colour", ["phone"] = "x" }), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(["fieldMap.favouriteColour", "fieldMap.phone"],
            (await bad.Content.ReadFromJsonAsync<Problem>(Ct))!.Errors.Keys.Order(StringComparer.Ordinal));
        var shown = await admin.GetFromJsonAsync<BrokerApiConfigDto>($"/api/crm/brokers/{broker.Id}/api-config", Json, Ct);
        Assert.Equal((new Uri(receiver.Url, "a").ToString(), "mail"), (shown!.Endpoint, shown.FieldMap!["email"]));
    }
}

public sealed class BrokerFieldMapTests_Sqlite(SqliteApp app) : BrokerFieldMapTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class BrokerFieldMapTests_Postgres(PostgresApp app) : BrokerFieldMapTests<PostgresApp>(app);
