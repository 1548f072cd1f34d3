using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadRouter.Data;
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
    public async Task A_call_the_database_refuses_fails_alone_and_the_other_calls_of_its_group_are_stored_and_answered()
    {
        var postgres = App.Target.Provider == DatabaseProvider.Postgres;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var refusedDomain = $"refused-{tag}.example.com";
        var (source, user) = (Unique("REFUSE"), $"intake-{tag}@example.com");
        var intake = App.Get<IntakeLeads>();
        var writer = App.Get<IntakeWriter>();
        JsonElement Body(params string[] emails) => JsonSerializer.SerializeToElement(emails.Select(e => new { name = e, email = e, source }));
        // A trigger refusing leads at one domain stands in for any value the database refuses in one call's leads; it
        // aborts the statement that inserts such a lead, which in a group commit is the one insert of every call's leads.
        var trigger = $"refuse_{tag}";
        await using (var db = App.CreateDb())
            await db.Database.ExecuteSqlRawAsync(postgres
                ? $$"""
                    CREATE FUNCTION {{trigger}}() RETURNS trigger LANGUAGE plpgsql AS $fn$
                    BEGIN
                        IF NEW."Email" LIKE '%@{{refusedDomain}}' THEN RAISE EXCEPTION 'lead refused by the test trigger'; END IF;
                        RETURN NEW;
                    END $fn$;
                    CREATE TRIGGER {{trigger}} BEFORE INSERT ON "Leads" FOR EACH ROW EXECUTE FUNCTION {{trigger}}();
                    """
                : $"""
                    CREATE TRIGGER {trigger} BEFORE INSERT ON "Leads" WHEN NEW."Email" LIKE '%@{refusedDomain}'
                    BEGIN SELECT RAISE(ABORT, 'lead refused by the test trigger'); END;
                    """, Ct);
        try
        {
            var before = writer.Committed;
            Task<IntakeResult> plug;
            Task<IntakeResult>[] group;
            // Another writer holds the lead write lock (SQLite's one writer; PostgreSQL's import advisory lock, "LRIM"), as a
            // file import would: the writer's next transaction waits, and the calls made meanwhile queue up for one group.
            await using (var blocker = App.CreateDb())
            {
                await using var tx = await blocker.Database.BeginTransactionAsync(Ct);
                if (postgres) await blocker.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(1280461133)", Ct);
                plug = intake.RunAsync(Body($"plug.{tag}@example.com"), null, user, Ct);
                await App.WaitUntilSomeoneWaitsForALockAsync();
                group =
                [
                    intake.RunAsync(Body($"a1.{tag}@example.com", $"a2.{tag}@example.com"), null, user, Ct),
                    intake.RunAsync(Body($"b1.{tag}@example.com", $"b2@{refusedDomain}"), null, user, Ct),
                    intake.RunAsync(Body($"c1.{tag}@example.com"), null, user, Ct),
                    intake.RunAsync(Body($"d1.{tag}@example.com"), null, user, Ct),
                ];
                await tx.RollbackAsync(Ct);
            }
            var answers = await Task.WhenAll(plug, group[0], group[2], group[3]);
            var refused = await Assert.ThrowsAnyAsync<DbException>(() => group[1]);

            Assert.Contains("lead refused by the test trigger", refused.Message);
            Assert.Equal([1, 2, 1, 1], answers.Select(a => a.Accepted));
            Assert.All(answers, a => Assert.All(a.Leads, o => Assert.Equal(("waiting", false), (o.Outcome, o.Duplicate))));
            Assert.Single(answers.Select(a => a.ImportId).Distinct());
            // The group's transaction failed, so every call was written alone: the four good ones in a transaction each.
            var after = writer.Committed;
            Assert.Equal((4L, 4L), (after.Transactions - before.Transactions, after.Calls - before.Calls));
            await using var check = App.CreateDb();
            var stored = await check.Leads.Where(l => l.Source!.Name == source).Select(l => new { l.Id, l.Email }).ToListAsync(Ct);
            // Nothing of the refused call, not even its lead the database would have taken.
            Assert.Equal(new[] { "a1", "a2", "c1", "d1", "plug" }.Select(n => $"{n}.{tag}@example.com"), stored.Select(l => l.Email).Order());
            Assert.Equal(stored.Select(l => l.Id).Order(), answers.SelectMany(a => a.Leads).Select(o => o.LeadId).Order());
            var import = await check.Imports.SingleAsync(i => i.Id == answers[0].ImportId, Ct);
            Assert.Equal((5, 5, 0), (import.Rows, import.Accepted, import.Duplicates));
        }
        finally
        {
            await using var db = App.CreateDb();
            await db.Database.ExecuteSqlRawAsync(postgres
                ? $"DROP TRIGGER {trigger} ON \"Leads\"; DROP FUNCTION {trigger}();"
                : $"DROP TRIGGER {trigger};", Ct);
        }
    }

    [Fact]
    public async Task A_source_and_import_removed_after_the_writer_cached_them_are_created_again_for_the_next_call()
    {
        var email = $"intake-{Guid.NewGuid():N}@example.com";
        var admin = await App.ClientAsync(Roles.Admin, email);
        var source = Unique("REMOVED");
        var tag = Guid.NewGuid().ToString("N")[..8];
        var first = await (await admin.PostAsJsonAsync("/api/v1/leads", new { name = "A", email = $"a.{tag}@example.com", source }, Ct))
            .Content.ReadFromJsonAsync<IntakeResult>(Json, Ct);
        await using (var db = App.CreateDb())
        {
            await db.Leads.Where(l => l.ImportId == first!.ImportId).ExecuteDeleteAsync(Ct);
            await db.Imports.Where(i => i.Id == first!.ImportId).ExecuteDeleteAsync(Ct);
            await db.Sources.Where(x => x.Name == source).ExecuteDeleteAsync(Ct);
        }

        var response = await admin.PostAsJsonAsync("/api/v1/leads", new { name = "B", email = $"b.{tag}@example.com", source }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var second = (await response.Content.ReadFromJsonAsync<IntakeResult>(Json, Ct))!;
        Assert.Equal(1, second.Accepted);
        Assert.NotEqual(first!.ImportId, second.ImportId);
        await using var check = App.CreateDb();
        var lead = await check.Leads.Where(l => l.Id == second.Leads[0].LeadId).Select(l => new { l.ImportId, Source = l.Source!.Name }).SingleAsync(Ct);
        Assert.Equal((second.ImportId, source), (lead.ImportId, lead.Source));
        Assert.Equal(1, await check.Imports.Where(i => i.Id == second.ImportId).Select(i => i.Rows).SingleAsync(Ct));
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
