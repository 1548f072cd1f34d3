using LeadRouter.Data.Leads;
using LeadRouter.Data.Members;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Tests.Infrastructure;
using LeadRouter.Web.Tests.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace LeadRouter.Web.Tests.Dashboard;

/// <summary>The dashboard in real headless Chromium against the app on a loopback port: admin, member and agent journeys.</summary>
public abstract class DashboardBrowserTests<TApp> : AppTests<TApp> where TApp : LeadRouterApp, IBrowserApp
{
    const string Password = "Browser-Test-1";

    protected DashboardBrowserTests(TApp app) : base(app)
    {
        if (Chromium.SkipReason is { } reason) Assert.Skip(reason);
    }

    Chromium OpenBrowser() => new(App.BaseUrl);

    async Task<string> LoginAsync(string role, string prefix)
    {
        var email = $"{Unique(prefix)}@example.com";
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<UserAccounts>().AddAsync(email, Password, role, Ct);
        return email;
    }

    [Fact]
    public async Task An_admin_uploads_a_file_saves_a_pool_and_sees_the_leads_assigned()
    {
        var admin = await LoginAsync(Roles.Admin, "admin");
        var agents = App.Get<AgentDirectory>();
        var ann = await agents.AddAsync(new NewAgent(Unique("Ann")), Ct);
        var raj = await agents.AddAsync(new NewAgent(Unique("Raj")), Ct);
        var source = Unique("META");
        await App.AddLeadsAsync(Unique("OTHER"), 2); // leads the search must leave out
        var tag = Unique("f");
        var csv = Path.Combine(Path.GetTempPath(), $"{tag}.csv");
        await File.WriteAllTextAsync(csv, $"Name,Email,Phone\nAnn Lee,{tag}.1@example.com,\nBo Chan,{tag}.2@example.com,\nBad Row,not-an-e-mail,\n" +
            $"Cy Dee,{tag}.3@example.com,\nDi Eve,{tag}.4@example.com,\n", Ct);
        using var browser = OpenBrowser();

        try
        {
            browser.Open("/admin");
            Assert.StartsWith("/login?ReturnUrl=", browser.CurrentPath, StringComparison.Ordinal);
            browser.Screenshot("login");
            browser.SignIn(admin, Password, "/admin");
            browser.Until(() => browser.Driver.FindElements(By.CssSelector("#stat-leads")).Count == 1, "overview cards");
            browser.Screenshot("admin-overview");

            // Upload: rejected as a whole first (one row has a malformed e-mail), then with "skip invalid rows".
            browser.Open("/admin/imports");
            browser.WaitInteractive();
            browser.Find("#lead-file").SendKeys(csv);
            browser.Find("#import-source").SendKeys(source);
            browser.Find("#upload").Click();
            var rejected = browser.Until(() => browser.Driver.FindElements(By.CssSelector("#import-result")).FirstOrDefault(), "the rejected report");
            Assert.Contains("rejected", rejected.Text, StringComparison.OrdinalIgnoreCase);
            var rows = browser.Find("#rejected-rows").FindElements(By.CssSelector("tbody tr"));
            Assert.Single(rows);
            var cells = rows[0].FindElements(By.CssSelector("td")).Select(c => c.Text).ToArray();
            Assert.Equal("4", cells[0]);
            Assert.Equal("Email", cells[1]);
            browser.Driver.FindElement(By.XPath("//label[contains(., 'Skip invalid rows')]")).Click();
            browser.Find("#upload").Click();
            browser.Until(() => browser.Find("#import-result").Text.Contains("Imported 4 of 5 rows", StringComparison.Ordinal), "the stored report");
            browser.Screenshot("admin-imports");

            // Pool: tick both agents on the source's card and save; the four leads are assigned at once.
            browser.Open("/admin/assign");
            browser.WaitInteractive();
            var card = browser.Find($"[data-source='{source}']");
            Assert.Equal("4", card.FindElement(By.CssSelector("[data-unassigned]")).GetAttribute("data-unassigned"));
            foreach (var name in new[] { ann.Name, raj.Name })
                card.FindElement(By.XPath($".//label[contains(., '{name}')]")).Click();
            card.FindElement(By.CssSelector("[data-action='save']")).Click();
            var result = browser.Until(() => browser.Driver.FindElements(By.CssSelector($"[data-result='{source}']")).FirstOrDefault(), "the save result");
            Assert.Contains("4 leads assigned", result.Text, StringComparison.Ordinal);
            browser.Until(() => browser.Find($"[data-source='{source}'] [data-unassigned]").GetAttribute("data-unassigned") == "0", "no unassigned leads left");
            var bars = browser.Driver.FindElements(By.CssSelector($"[data-source='{source}'] [data-agent]"));
            Assert.Equal(["2", "2"], bars.Select(b => b.FindElement(By.CssSelector(".lr-bar-count")).Text).ToArray());
            Assert.Contains("Next in line", browser.Find($"[data-next='{source}']").Text, StringComparison.Ordinal);
            browser.Screenshot("admin-assign");

            browser.Open("/admin/leads");
            browser.Find("#lead-total");
            browser.Find("#lead-search").SendKeys(tag);
            browser.Find("#lead-search-go").Click();
            browser.Until(() => browser.Find("#lead-total").Text.StartsWith("4 leads", StringComparison.Ordinal), "the filtered lead list");
            browser.Screenshot("admin-leads");
            browser.Open("/admin/agents");
            browser.Find("#agents-table");
            browser.Screenshot("admin-agents");
            browser.Resize(390, 844);
            browser.Open("/admin/assign");
            browser.Find($"[data-source='{source}']");
            browser.Screenshot("admin-assign-phone");
        }
        finally { File.Delete(csv); }

        await using var db = App.CreateDb();
        var assigned = await db.Leads.Where(l => l.Email != null && l.Email.StartsWith(tag)).Select(l => l.AgentId).ToListAsync(Ct);
        Assert.Equal(4, assigned.Count);
        Assert.All(assigned, a => Assert.Contains(a!.Value, new[] { ann.Id, raj.Id }));
    }

    [Fact]
    public async Task A_member_downloads_a_file_sees_the_count_go_up_and_cannot_get_another_members_file()
    {
        var (aliceEmail, _) = await MemberAsync("alice");
        var (_, bobId) = await MemberAsync("bob");
        var import = await MemberSeeding.ImportAsync(App, 3);
        var run = await App.Get<RunDistribution>().RunImportAsync(import, "test", Ct);
        Assert.IsType<DistributionOutcome.Ran>(run);
        await using var db = App.CreateDb();
        var bobFile = await db.MemberFiles.Where(f => f.MemberId == bobId).Select(f => f.Id).SingleAsync(Ct);
        using var browser = OpenBrowser();

        browser.Open("/member/files");
        browser.SignIn(aliceEmail, Password, "/member/files");
        browser.WaitInteractive();
        var button = browser.Find("[data-download]");
        var fileId = button.GetAttribute("data-download");
        Assert.Equal("0", browser.Find($"[data-downloads='{fileId}']").Text);
        Assert.Equal("0", browser.Find("#summary-downloads .lr-stat-value").Text);
        browser.Screenshot("member-files");
        button.Click();

        browser.Until(() => browser.Find($"[data-downloads='{fileId}']").Text == "1", "the download count to go up");
        Assert.Equal("1", browser.Find("#summary-downloads .lr-stat-value").Text);
        var saved = browser.Until(() => Directory.GetFiles(browser.Downloads, "*.csv").FirstOrDefault(), "the downloaded file");
        Assert.StartsWith("Name,Email,Address", await File.ReadAllTextAsync(saved, Ct), StringComparison.Ordinal);
        // Another member's file through the same browser session (cookie): 403.
        var status = browser.Driver.ExecuteAsyncScript(
            "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => done(r.status));", $"/api/users/leads/download/{bobFile}");
        Assert.Equal(403L, status);
        // Admin pages are not for members.
        browser.Open("/admin");
        browser.Until(() => browser.Driver.PageSource.Contains("Access denied", StringComparison.Ordinal), "access denied");
        browser.Resize(390, 844);
        browser.Open("/member/files");
        browser.Find("[data-download]");
        browser.Screenshot("member-files-phone");
    }

    [Fact]
    public async Task An_agent_changes_a_leads_status()
    {
        var email = $"{Unique("agent")}@example.com";
        var agent = await App.Get<AgentDirectory>().AddAsync(new NewAgent(Unique("Agent"), email), Ct);
        await using (var scope = App.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<UserAccounts>().AddAsync(email, Password, Roles.Agent, Ct);
        var source = Unique("WEB");
        var leads = await App.AddLeadsAsync(source, 2);
        await App.Get<AgentPools>().SaveAsync(source, [agent.Name], AssignmentMethod.Fair, autoAssign: true, Ct);
        var lead = leads[0];
        using var browser = OpenBrowser();

        browser.Open("/");
        browser.SignIn(email, Password, "/agent/leads");
        browser.WaitInteractive();
        browser.Find($"[data-lead='{lead}'] [data-to='Contacted']").Click();
        browser.Until(() => browser.Find("#status-message").Text.Contains("Pending → Contacted", StringComparison.Ordinal), "the status message");
        Assert.Empty(browser.Driver.FindElements(By.CssSelector($"[data-lead='{lead}'] [data-to='Contacted']")));
        browser.Find($"[data-lead='{lead}'] [data-to='Qualified']");
        browser.Screenshot("agent-leads");

        await using var db = App.CreateDb();
        Assert.Equal(LeadStatus.Contacted, await db.Leads.Where(l => l.Id == lead).Select(l => l.Status).SingleAsync(Ct));
        var change = await db.LeadStatusChanges.SingleAsync(c => c.LeadId == lead, Ct);
        Assert.Equal((LeadStatus.Pending, LeadStatus.Contacted, email), (change.From, change.To, change.ChangedBy));
    }

    /// <summary>A member with a login; returns the login's e-mail and the member's id.</summary>
    async Task<(string Email, long MemberId)> MemberAsync(string prefix)
    {
        var username = Unique(prefix);
        var email = $"{username}@example.com";
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<UserAccounts>().AddAsync(email, Password, Roles.Member, Ct);
        await using var db = App.CreateDb();
        var userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync(Ct);
        var member = new Member { Username = username, Email = email, TierId = 1, UserId = userId, CreatedAt = App.Clock.GetUtcNow() };
        db.Members.Add(member);
        await db.SaveChangesAsync(Ct);
        return (email, member.Id);
    }
}

[Trait("Browser", "Chromium")]
public sealed class DashboardBrowserTests_Sqlite(BrowserSqliteApp app) : DashboardBrowserTests<BrowserSqliteApp>(app);

[Trait("Browser", "Chromium")]
[Trait("Database", "Postgres")]
public sealed class DashboardBrowserTests_Postgres(BrowserPostgresApp app) : DashboardBrowserTests<BrowserPostgresApp>(app);
