using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Tests.Infrastructure;

namespace LeadRouter.Web.Tests.Brokers;

public abstract class BrokerApiTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    sealed record Problem(Dictionary<string, string[]> Errors);

    static async Task<HashSet<string>> ErrorFieldsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<Problem>(Ct);
        return [.. problem!.Errors.Keys];
    }

    [Fact]
    public async Task Out_of_range_values_get_400_naming_each_field_and_change_nothing()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var name = Unique("bad");

        var response = await admin.PostAsJsonAsync("/api/crm/brokers", new
        {
            name,
            priority = 11,
            weight = 101,
            countries = new[] { "AE", "XX" },
            hourCap = 0,
            dayCap = -1,
            minAmount = 500,
            maxAmount = 100,
            timeZone = "Mars/Olympus",
        }, Ct);

        Assert.Equal(["countries", "dayCap", "hourCap", "minAmount", "priority", "timeZone", "weight"], (await ErrorFieldsAsync(response)).Order());
        var list = await admin.GetFromJsonAsync<List<BrokerDto>>("/api/crm/brokers", Ct);
        Assert.DoesNotContain(list!, b => b.Name == name);
    }

    [Fact]
    public async Task Patch_changes_only_the_given_fields_and_refuses_unknown_or_protected_ones()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var created = await (await admin.PostAsJsonAsync("/api/crm/brokers",
            new { name = Unique("patch"), priority = 3, weight = 40, countries = new[] { "ae" }, dayCap = 50 }, Ct))
            .Content.ReadFromJsonAsync<BrokerDto>(Ct);
        Assert.Equal(["AE"], created!.Countries);

        var ok = await admin.PatchAsJsonAsync($"/api/crm/brokers/{created.Id}", new { weight = 70, dayCap = (int?)null, hourCap = 5 }, Ct);
        var refused = await admin.PatchAsJsonAsync($"/api/crm/brokers/{created.Id}", new { weight = 10, apiKey = "x", isAdmin = true }, Ct);
        var badValue = await admin.PatchAsJsonAsync($"/api/crm/brokers/{created.Id}", new { priority = 42 }, Ct);
        var missing = await admin.PatchAsJsonAsync("/api/crm/brokers/999999", new { weight = 1 }, Ct);

        var patched = await ok.Content.ReadFromJsonAsync<BrokerDto>(Ct);
        Assert.Equal((70, 3, (int?)null, (int?)5), (patched!.Weight, patched.Priority, patched.DayCap, patched.HourCap));
        Assert.Equal(["apiKey", "isAdmin"], (await ErrorFieldsAsync(refused)).Order());
        Assert.Equal(["priority"], await ErrorFieldsAsync(badValue));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var list = await admin.GetFromJsonAsync<List<BrokerDto>>("/api/crm/brokers", Ct);
        Assert.Equal(70, list!.Single(b => b.Id == created.Id).Weight); // the refused patch changed nothing
    }

    [Fact]
    public async Task Assign_lead_routes_one_lead_and_stats_count_it_then_delete_hides_the_broker()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var broker = await (await admin.PostAsJsonAsync("/api/crm/brokers",
            new { name = Unique("one"), priority = 4, weight = 10, countries = new[] { "BH" }, monthCap = 5 }, Ct))
            .Content.ReadFromJsonAsync<BrokerDto>(Ct);
        var source = Unique("API");
        await App.Get<SourceRoutes>().SetAsync(source, RouteTarget.Brokers, Ct);
        var leadId = (await App.AddLeadsAsync(source, 1))[0];
        await using (var db = App.CreateDb())
        {
            var lead = await db.Leads.FindAsync([leadId], Ct);
            lead!.Country = "BH";
            await db.SaveChangesAsync(Ct);
        }

        var routed = await (await admin.PostAsJsonAsync("/api/crm/assign-lead", new { leadId, method = "auto" }, Ct)).Content.ReadFromJsonAsync<AssignLeadResponse>(Ct);
        var again = await admin.PostAsJsonAsync("/api/crm/assign-lead", new { leadId, method = "auto" }, Ct);
        var wrongMethod = await admin.PostAsJsonAsync("/api/crm/assign-lead", new { leadId, method = "manual" }, Ct);
        var stats = await admin.GetFromJsonAsync<BrokerStatsDto>($"/api/crm/brokers/{broker!.Id}/stats", Ct);
        var deleted = await admin.DeleteAsync($"/api/crm/brokers/{broker.Id}", Ct);

        Assert.Equal((true, broker.Id), (routed!.Routed, routed.BrokerId!.Value));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(["method"], await ErrorFieldsAsync(wrongMethod));
        Assert.Equal((1L, 1, 1, 5), (stats!.Total, stats.Month, stats.Day, stats.MonthCap!.Value));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/crm/brokers/{broker.Id}/stats", Ct)).StatusCode);
    }

    [Fact]
    public async Task Only_admins_manage_brokers()
    {
        var agent = await App.ClientAsync(Roles.Agent);

        var response = await agent.GetAsync("/api/crm/brokers", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await App.CreateClient().GetAsync("/api/crm/brokers", Ct)).StatusCode);
    }
}

public sealed class BrokerApiTests_Sqlite(SqliteApp app) : BrokerApiTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class BrokerApiTests_Postgres(PostgresApp app) : BrokerApiTests<PostgresApp>(app);
