using System.CommandLine;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Leads;
using LeadRouter.Web.Features.Platform;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary>
/// <c>leadrouter demo</c>: a fresh SQLite database, the bundled sample imported, agents and pools for two sources,
/// the leads assigned, the breakdown and statistics printed; then the API is served until Ctrl+C.
/// </summary>
static class DemoCommand
{
    /// <summary>The demo's database file in the working directory (replaced on every run).</summary>
    public const string DemoDb = "leadrouter-demo.db";
    public const string SampleFile = "leads-sample.csv";
    public const string AdminEmail = "admin@leadrouter.local";
    public const string AdminPassword = "Demo-Admin-1";
    public const string AgentEmail = "john@leadrouter.local";
    public const string AgentPassword = "Demo-Agent-1";

    public static Command Create()
    {
        Option<bool> noServe = new("--no-serve") { Description = "Exit after the assignment instead of serving the API" };
        var cmd = new Command("demo", "Run LeadRouter on the bundled sample with a fresh embedded database") { noServe, ServeCommand.Urls };
        cmd.SetAction(async (p, ct) =>
        {
            var db = p.GetValue(Globals.Db) ?? Path.GetFullPath(DemoDb);
            if (p.GetValue(Globals.Db) is null)
                foreach (var f in new[] { db, db + "-wal", db + "-shm" }) File.Delete(f);
            var code = await CliRun.Run(p, ct, (s, console) => RunAsync(s, console, db, ct), db);
            if (code != 0 || p.GetValue(noServe)) return code;
            var urls = p.GetValue(ServeCommand.Urls)!;
            var console = CliRun.Console(p);
            console.MarkupLineInterpolated($"Dashboard: [link]{urls}[/]  API docs: {urls}/scalar");
            console.MarkupLineInterpolated($"  Admin:        {AdminEmail} / {AdminPassword}");
            console.MarkupLineInterpolated($"  Agent (John): {AgentEmail} / {AgentPassword}");
            console.MarkupLine("Ctrl+C stops.");
            await ServeCommand.ServeAsync(db, urls, ct);
            return 0;
        });
        return cmd;
    }

    static async Task<CliResult> RunAsync(IServiceProvider s, IAnsiConsole console, string db, CancellationToken ct)
    {
        var sample = Path.Combine(AppContext.BaseDirectory, "samples", SampleFile);
        if (!File.Exists(sample)) throw new ImportInputException($"The bundled sample is missing: {sample}");
        console.Write(new Rule("[bold]LeadRouter demo[/]").LeftJustified());
        console.MarkupLineInterpolated($"Database: {db} (fresh SQLite)");

        // 1. Import the sample: messy headers, several sources, duplicates and a few invalid rows.
        ImportResult import;
        await using (var stream = File.OpenRead(sample))
            import = await s.GetRequiredService<ImportLeads>().RunAsync(stream, new ImportOptions
            {
                FileName = SampleFile,
                SkipInvalid = true,
                ImportedBy = "demo",
                DefaultRegion = "US",
            }, null, ct);
        ImportView.Render(console, import, maxErrors: 5);

        // 2. Agents and two pools: META (fair, three agents) and Google (round robin, two agents).
        var agents = s.GetRequiredService<AgentDirectory>();
        foreach (var (name, email) in new[] { ("John", "john@leadrouter.local"), ("Sarah", "sarah@leadrouter.local"),
                     ("Mike", "mike@leadrouter.local"), ("Priya", "priya@leadrouter.local"), ("Omar", "omar@leadrouter.local") })
            await agents.AddAsync(new NewAgent(name, email), ct);
        var pools = s.GetRequiredService<AgentPools>();
        var runs = new List<AssignmentRun>();
        foreach (var (source, names, method) in new[] { ("META", new[] { "John", "Sarah", "Mike" }, AssignmentMethod.Fair),
                     ("Google", new[] { "Priya", "Omar" }, AssignmentMethod.RoundRobin) })
        {
            var saved = await pools.SaveAsync(source, names, method, autoAssign: true, ct);
            if (saved.Run is { } run) { runs.Add(run); AssignView.RenderRun(console, run); }
        }

        // 3. Statistics, and logins for the dashboard and the API: the admin, and John as an agent.
        var zone = TimeZoneInfo.FindSystemTimeZoneById(s.GetRequiredService<Microsoft.Extensions.Options.IOptions<DisplayOptions>>().Value.TimeZone);
        var stats = await s.GetRequiredService<AssignmentStats>().GetAsync(null, ct);
        foreach (var st in stats) AssignView.RenderStats(console, st, zone);
        await using (var scope = s.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<UserAccounts>();
            await accounts.AddAsync(AdminEmail, AdminPassword, Roles.Admin, ct);
            await accounts.AddAsync(AgentEmail, AgentPassword, Roles.Agent, ct);
        }

        var assigned = runs.Sum(r => r.Assigned);
        var json = new { database = db, import = ImportCommand.ImportJson(import), assigned, runs, stats };
        return CliResult.Ok(json, c => c.MarkupLineInterpolated($"[green]Demo done:[/] {import.Report.Accepted} leads imported, {assigned} assigned to agents."));
    }
}
