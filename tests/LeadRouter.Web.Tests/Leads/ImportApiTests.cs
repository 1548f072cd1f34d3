using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Leads;

public abstract class ImportApiTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    static MultipartFormDataContent Upload(string csv, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "file", "leads.csv" } };
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    [Fact]
    public async Task An_uploaded_file_is_imported_and_its_pooled_source_assigned()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var source = Unique("Api");
        var agents = new[] { Unique("A"), Unique("B") };
        foreach (var a in agents) await App.Get<AgentDirectory>().AddAsync(new NewAgent(a), Ct);
        await App.Get<AgentPools>().SaveAsync(source, agents, AssignmentMethod.Fair, true, Ct);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var csv = $"Full Name;E-mail;Lead Source\nAnn;ann.{tag}@example.com;{source.ToUpperInvariant()}\nBob;bob.{tag}@example.com;{source}\nCid;cid.{tag}@example.com; {source} \n";

        var response = await admin.PostAsync("/api/v1/imports", Upload(csv), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(3, body.GetProperty("report").GetProperty("accepted").GetInt32());
        Assert.Equal(3, body.GetProperty("assigned").GetInt32());
    }

    [Fact]
    public async Task A_file_with_a_bad_row_gets_400_with_the_row_and_stores_nothing()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var csv = $"Name,Email\nAnn,ann.{tag}@example.com\nBob,not-an-email\n";

        var response = await admin.PostAsync("/api/v1/imports", Upload(csv, ("source", "X")), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("report").GetProperty("errors")[0];
        Assert.Equal((3, "Email"), (error.GetProperty("row").GetInt32(), error.GetProperty("column").GetString()));
        await using var db = App.CreateDb();
        Assert.False(await db.Leads.AnyAsync(l => l.Email == $"ann.{tag}@example.com", Ct));
    }

    [Fact]
    public async Task An_empty_upload_gets_a_400_problem()
    {
        var admin = await App.ClientAsync(Roles.Admin);

        var response = await admin.PostAsync("/api/v1/imports", Upload(""), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("file", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }
}

public sealed class ImportApiTests_Sqlite(SqliteApp app) : ImportApiTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class ImportApiTests_Postgres(PostgresApp app) : ImportApiTests<PostgresApp>(app);
