using System.Net;
using System.Net.Http.Json;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Tests.Infrastructure;

namespace LeadRouter.Web.Tests.Accounts;

public abstract class AuthTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    [Theory]
    [InlineData("GET", "/api/v1/agents")]
    [InlineData("GET", "/api/v1/leads")]
    [InlineData("GET", "/api/v1/pools")]
    [InlineData("GET", "/api/v1/stats")]
    [InlineData("GET", "/api/v1/history")]
    [InlineData("GET", "/api/v1/imports")]
    [InlineData("POST", "/api/v1/assign")]
    [InlineData("GET", "/api/v1/users")]
    [InlineData("GET", "/get_auto_assign_config")]
    [InlineData("POST", "/trigger_auto_assign/META")]
    [InlineData("POST", "/save_auto_assign_config")]
    public async Task Anonymous_callers_get_401(string method, string path)
    {
        var response = await App.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/openapi/v1.json")]
    public async Task Health_and_the_OpenAPI_document_are_open(string path)
    {
        var response = await App.CreateClient().GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Self_registration_is_closed()
    {
        var response = await App.CreateClient().PostAsJsonAsync("/api/v1/auth/register", new { email = "x@example.com", password = "Whatever-1" }, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_gets_401()
    {
        await App.ClientAsync(Roles.Admin, "known@example.com");

        var response = await App.CreateClient().PostAsJsonAsync("/api/v1/auth/login", new { email = "known@example.com", password = "Wrong-Password-1" }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task An_agent_cannot_reach_admin_routes_and_sees_only_their_own_leads()
    {
        var email = $"{Unique("agent")}@example.com";
        var me = await App.Get<AgentDirectory>().AddAsync(new NewAgent(Unique("Me"), email), Ct);
        var other = await App.Get<AgentDirectory>().AddAsync(new NewAgent(Unique("Other")), Ct);
        var source = Unique("SRC");
        await App.AddLeadsAsync(source, 6);
        await App.Get<AgentPools>().SaveAsync(source, [me.Name, other.Name], Domain.Agents.AssignmentMethod.Fair, true, Ct);
        var agent = await App.ClientAsync(Roles.Agent, email);

        var admin = await agent.GetAsync("/api/v1/agents", Ct);
        var leads = await agent.GetFromJsonAsync<PageOf>($"/api/v1/leads?source={source}", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
        Assert.Equal(3, leads!.Total);
        Assert.All(leads.Items, l => Assert.Equal(me.Id, l.AgentId));
    }

    [Fact]
    public async Task Bad_input_gets_400_naming_each_field()
    {
        var admin = await App.ClientAsync(Roles.Admin);

        var response = await admin.PostAsJsonAsync("/api/v1/agents", new { name = "", weight = 0, email = "not-an-email" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<Problem>(Ct);
        Assert.Equal(["email", "name", "weight"], problem!.Errors.Keys.Order());
    }

    [Fact]
    public async Task Seed_000_routes_save_trigger_and_delete_a_config()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var a = await App.Get<AgentDirectory>().AddAsync(new NewAgent(Unique("A")), Ct);
        var b = await App.Get<AgentDirectory>().AddAsync(new NewAgent(Unique("B")), Ct);
        var source = Unique("META");
        await App.AddLeadsAsync(source, 5);

        var saved = await (await admin.PostAsJsonAsync("/save_auto_assign_config", new { source, cre_ids = new[] { a.Id, b.Id } }, Ct))
            .Content.ReadFromJsonAsync<SeedResult>(Ct);
        await App.AddLeadsAsync(source, 2);
        var triggered = await (await admin.PostAsync($"/trigger_auto_assign/{source}", null, Ct)).Content.ReadFromJsonAsync<SeedResult>(Ct);
        var deleted = await admin.PostAsJsonAsync("/delete_auto_assign_config", new { source }, Ct);
        var again = await admin.PostAsync($"/trigger_auto_assign/{source}", null, Ct);

        Assert.Equal((true, 5), (saved!.success, saved.assigned_count));
        Assert.Equal((true, 2), (triggered!.success, triggered.assigned_count));
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    sealed record PageOf(List<LeadItem> Items, int Total);
    sealed record LeadItem(long Id, long? AgentId);
    sealed record Problem(Dictionary<string, string[]> Errors);
    sealed record SeedResult(bool success, string message, int assigned_count);
}

public sealed class AuthTests_Sqlite(SqliteApp app) : AuthTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class AuthTests_Postgres(PostgresApp app) : AuthTests<PostgresApp>(app);
