using System.CommandLine;
using System.Globalization;
using System.Text;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Leads;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Features.Platform;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary>
/// <c>leadrouter demo</c>: a fresh SQLite database, the bundled sample imported, agents and pools for two sources,
/// the leads assigned, the breakdown and statistics printed, a member with a file of shared leads; then the dashboard
/// and API are served until Ctrl+C. The dashboard's address and a login for each role are printed either way.
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
    public const string MemberName = "alice";
    public const string MemberEmail = "alice@leadrouter.local";
    public const string MemberPassword = "Demo-Member-1";
    const int MemberLeads = 150;

    /// <summary>The demo's logins, one per role: role, who, e-mail, password.</summary>
    public static readonly (string Role, string Who, string Email, string Password)[] Logins =
    [
        (Roles.Admin, "Admin", AdminEmail, AdminPassword),
        (Roles.Agent, "Agent (John)", AgentEmail, AgentPassword),
        (Roles.Member, $"Member ({MemberName})", MemberEmail, MemberPassword),
    ];

    public static Command Create()
    {
        Option<bool> noServe = new("--no-serve") { Description = "Exit after the assignment instead of serving the API" };
        var cmd = new Command("demo", "Run LeadRouter on the bundled sample with a fresh embedded database") { noServe, ServeCommand.Urls };
        cmd.SetAction(async (p, ct) =>
        {
            var db = p.GetValue(Globals.Db) ?? Path.GetFullPath(DemoDb);
            if (p.GetValue(Globals.Db) is null)
                foreach (var f in new[] { db, db + "-wal", db + "-shm" }) File.Delete(f);
            var urls = p.GetValue(ServeCommand.Urls)!;
            var code = await CliRun.Run(p, ct, (s, console) => RunAsync(s, console, db, DashboardUrl(urls), ct), db);
            if (code != 0) return code;
            var console = CliRun.Console(p);
            if (p.GetValue(noServe))
                console.MarkupLineInterpolated($"Dashboard, once served with `leadrouter serve --db {db}`: [link]{DashboardUrl(urls)}[/]");
            else
                console.MarkupLineInterpolated($"Dashboard: [link]{DashboardUrl(urls)}[/]  API docs: {DashboardUrl(urls)}/scalar");
            foreach (var (_, who, email, password) in Logins)
                console.MarkupLineInterpolated($"  {who + ":",-17} {email} / {password}");
            if (p.GetValue(noServe)) return 0;
            console.MarkupLine("Ctrl+C stops.");
            await ServeCommand.ServeAsync(db, urls, ct);
            return 0;
        });
        return cmd;
    }

    /// <summary>The first address of <c>--urls</c>, where the dashboard answers.</summary>
    static string DashboardUrl(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0].TrimEnd('/');

    static async Task<CliResult> RunAsync(IServiceProvider s, IAnsiConsole console, string db, string dashboard, CancellationToken ct)
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

        // 3. Statistics, and logins for the dashboard and the API: the admin, John as an agent, and a member.
        var zone = TimeZoneInfo.FindSystemTimeZoneById(s.GetRequiredService<Microsoft.Extensions.Options.IOptions<DisplayOptions>>().Value.TimeZone);
        var stats = await s.GetRequiredService<AssignmentStats>().GetAsync(null, ct);
        foreach (var st in stats) AssignView.RenderStats(console, st, zone);
        await using (var scope = s.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<UserAccounts>();
            await accounts.AddAsync(AdminEmail, AdminPassword, Roles.Admin, ct);
            await accounts.AddAsync(AgentEmail, AgentPassword, Roles.Agent, ct);
            await scope.ServiceProvider.GetRequiredService<MemberDirectory>().AddAsync(
                new NewMember(MemberName, MemberEmail, "Silver", Password: MemberPassword), ct);
        }

        // 4. A member file: synthetic leads for members (seed 002), distributed once, so the member's page has a file.
        var csv = new StringBuilder("Name,Email,Address\n");
        for (var i = 1; i <= MemberLeads; i++)
            csv.Append(CultureInfo.InvariantCulture, $"Member Lead {i:000},member.lead.{i:000}@example.net,{i} Demo Street\n");
        ImportResult memberImport;
        await using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString())))
            memberImport = await s.GetRequiredService<ImportLeads>().RunAsync(stream, new ImportOptions
            {
                FileName = "demo-member-leads.csv",
                Purpose = ImportPurpose.Members,
                RequiredColumns = ["Name", "Email", "Address"],
                ImportedBy = "demo",
            }, null, ct);
        var distribution = memberImport.Report.ImportId is { } memberImportId
            ? await s.GetRequiredService<RunDistribution>().RunImportAsync(memberImportId, "demo", ct)
            : null;
        var shared = distribution is DistributionOutcome.Ran ran ? ran.Report.Shares : 0;
        console.MarkupLineInterpolated($"Members: {MemberName} (Silver) received {shared} shared leads in a file.");

        var assigned = runs.Sum(r => r.Assigned);
        var json = new
        {
            database = db,
            import = ImportCommand.ImportJson(import),
            assigned,
            runs,
            stats,
            memberShares = shared,
            dashboard,
            logins = Logins.Select(l => new { role = l.Role, email = l.Email, password = l.Password }),
        };
        return CliResult.Ok(json, c => c.MarkupLineInterpolated($"[green]Demo done:[/] {import.Report.Accepted} leads imported, {assigned} assigned to agents."));
    }
}
