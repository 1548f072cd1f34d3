using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Leads;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Leads;

/// <summary>
/// <c>POST /api/v1/leads</c> through the group commit: concurrent calls share transactions but each gets its own answer,
/// duplicates across calls are caught by the database, intake leads land in the caller's import of the day, and pooled
/// sources are still assigned.
/// </summary>
public abstract class IntakeGroupCommitTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    sealed record Problem(Dictionary<string, string[]> Errors);

    sealed record ImportRow(long Id, string FileName, string? ImportedBy, int Rows, int Accepted, int Duplicates, int Warnings);

    sealed record ImportPage(List<ImportRow> Items);

    [Fact]
    public async Task Concurrent_single_lead_calls_are_each_answered_and_a_repeated_identity_is_stored_once()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var source = Unique("GROUP");
        var tag = Guid.NewGuid().ToString("N")[..8];
        // 40 distinct leads, and the same e-mail sent by 10 calls at once.
        var bodies = Enumerable.Range(0, 40).Select(i => new { name = $"Lead {i}", email = $"g{i}.{tag}@example.com", source })
            .Concat(Enumerable.Range(0, 10).Select(i => new { name = $"Same {i}", email = $"same.{tag}@example.com", source }))
            .ToList();

        var answers = await Task.WhenAll(bodies.Select(async body =>
        {
            var response = await admin.PostAsJsonAsync("/api/v1/leads", body, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (body.email, Result: (await response.Content.ReadFromJsonAsync<IntakeResult>(Json, Ct))!);
        }));

        Assert.All(answers, a => Assert.Single(a.Result.Leads));
        var distinct = answers.Take(40).Select(a => a.Result.Leads[0]).ToList();
        Assert.All(distinct, o => Assert.Equal(("waiting", false), (o.Outcome, o.Duplicate)));
        Assert.Equal(40, distinct.Select(o => o.LeadId).Distinct().Count());
        var same = answers.Skip(10 * 4).Select(a => a.Result).ToList();
        Assert.Single(same, r => r.Accepted == 1 && !r.Leads[0].Duplicate);
        Assert.Equal(9, same.Count(r => r.Duplicates == 1 && r.Leads[0].Duplicate));
        Assert.Single(same.Select(r => r.Leads[0].LeadId).Distinct());
        await using var db = App.CreateDb();
        var stored = await db.Leads.Where(l => l.Source!.Name == source).Select(l => new { l.Id, l.Email }).ToListAsync(Ct);
        Assert.Equal(41, stored.Count);
        Assert.All(answers, a => Assert.Equal(stored.Single(l => l.Email == a.email).Id, a.Result.Leads[0].LeadId));
    }

    [Fact]
    public async Task Intake_leads_are_listed_under_one_import_per_day_and_user_whose_counts_add_up()
    {
        var email = $"intake-{Guid.NewGuid():N}@example.com";
        var admin = await App.ClientAsync(Roles.Admin, email);
        var source = Unique("DAILY");
        var tag = Guid.NewGuid().ToString("N")[..8];

        var first = await (await admin.PostAsJsonAsync("/api/v1/leads", new object[]
        {
            new { name = "A", email = $"a.{tag}@example.com", phone = "12345", source },
            new { name = "B", email = $"b.{tag}@example.com", source },
        }, Ct)).Content.ReadFromJsonAsync<IntakeResult>(Json, Ct);
        var second = await (await admin.PostAsJsonAsync("/api/v1/leads", new object[]
        {
            new { name = "A again", email = $"a.{tag}@example.com", source },
            new { name = "C", email = $"c.{tag}@example.com", source },
        }, Ct)).Content.ReadFromJsonAsync<IntakeResult>(Json, Ct);
        App.Clock.Advance(TimeSpan.FromDays(1));
        admin = await App.ClientAsync(Roles.Admin); // the first sign-in expired with the clock
        var nextDay = await (await admin.PostAsJsonAsync("/api/v1/leads", new { name = "D", email = $"d.{tag}@example.com", source }, Ct))
            .Content.ReadFromJsonAsync<IntakeResult>(Json, Ct);
        var listed = await admin.GetFromJsonAsync<ImportPage>("/api/v1/imports?pageSize=500", Json, Ct);

        Assert.Equal(first!.ImportId, second!.ImportId);
        Assert.NotEqual(first.ImportId, nextDay!.ImportId);
        Assert.Equal((2, 0, 1, 1), (first.Accepted, first.Duplicates, second.Accepted, second.Duplicates));
        var import = Assert.Single(listed!.Items, i => i.Id == first.ImportId);
        Assert.Equal(($"api {App.Clock.GetUtcNow().AddDays(-1):yyyy-MM-dd}", email), (import.FileName, import.ImportedBy));
        // The phone without a country code is a warning, as in a file import.
        Assert.Equal((4, 3, 1, 1), (import.Rows, import.Accepted, import.Duplicates, import.Warnings));
        await using var db = App.CreateDb();
        Assert.Equal(3, await db.Leads.CountAsync(l => l.ImportId == first.ImportId, Ct));
    }

    [Fact]
    public async Task Leads_of_a_pooled_source_are_assigned_to_its_agents()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var source = Unique("POOL");
        var agents = new[] { Unique("Ann"), Unique("Bob") };
        foreach (var a in agents) await App.Get<AgentDirectory>().AddAsync(new NewAgent(a), Ct);
        await App.Get<AgentPools>().SaveAsync(source, agents, AssignmentMethod.Fair, true, Ct);
        var tag = Guid.NewGuid().ToString("N")[..8];

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
            (await (await admin.PostAsJsonAsync("/api/v1/leads", new { name = $"P{i}", email = $"p{i}.{tag}@example.com", source }, Ct))
                .Content.ReadFromJsonAsync<IntakeResult>(Json, Ct))!.Leads[0]));

        Assert.All(answers, o => Assert.Equal("assigned", o.Outcome));
        Assert.All(answers, o => Assert.NotNull(o.AgentId));
        Assert.Equal([3, 3], answers.GroupBy(o => o.AgentId).Select(g => g.Count()));
        await using var db = App.CreateDb();
        var ids = answers.Select(o => o.LeadId).ToList();
        Assert.Equal(6, await db.Leads.CountAsync(l => ids.Contains(l.Id) && l.AgentId != null, Ct));
    }

    [Fact]
    public async Task A_source_name_that_is_too_long_is_named_and_nothing_is_stored()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var tag = Guid.NewGuid().ToString("N")[..8];

        var response = await admin.PostAsJsonAsync("/api/v1/leads", new object[]
        {
            new { name = "Fine", email = $"fine.{tag}@example.com", source = "OK" },
            new { name = "Long", email = $"long.{tag}@example.com", source = new string('S', 201) },
        }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["[1].source"], (await response.Content.ReadFromJsonAsync<Problem>(Ct))!.Errors.Keys);
        await using var db = App.CreateDb();
        Assert.False(await db.Leads.AnyAsync(l => l.Email == $"fine.{tag}@example.com", Ct));
    }
}

public sealed class IntakeGroupCommitTests_Sqlite(SqliteApp app) : IntakeGroupCommitTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class IntakeGroupCommitTests_Postgres(PostgresApp app) : IntakeGroupCommitTests<PostgresApp>(app);
