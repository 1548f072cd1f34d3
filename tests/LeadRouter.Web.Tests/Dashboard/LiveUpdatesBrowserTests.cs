using LeadRouter.Data.Agents;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Tests.Infrastructure;
using LeadRouter.Web.Tests.Members;
using Microsoft.Extensions.DependencyInjection;

namespace LeadRouter.Web.Tests.Dashboard;

/// <summary>Runs started elsewhere (a schedule, the background loop, another admin) show on an open page without a reload.</summary>
public abstract class LiveUpdatesBrowserTests<TApp> : AppTests<TApp> where TApp : LeadRouterApp, IBrowserApp
{
    const string Password = "Browser-Test-1";

    protected LiveUpdatesBrowserTests(TApp app) : base(app)
    {
        if (Chromium.SkipReason is { } reason) Assert.Skip(reason);
    }

    async Task<Chromium> SignedInAdminAsync(string landing)
    {
        var email = $"{Unique("admin")}@example.com";
        await using (var scope = App.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<UserAccounts>().AddAsync(email, Password, Roles.Admin, Ct);
        var browser = new Chromium(App.BaseUrl);
        try
        {
            browser.Open(landing);
            browser.SignIn(email, Password, landing);
            browser.WaitInteractive();
            // Set on this very page: still there afterwards means the page was never reloaded.
            browser.Driver.ExecuteScript("window.lrNoReload = true;");
            return browser;
        }
        catch
        {
            browser.Dispose();
            throw;
        }
    }

    static bool NotReloaded(Chromium browser) => browser.Driver.ExecuteScript("return window.lrNoReload === true;") is true;

    [Fact]
    public async Task A_distribution_run_elsewhere_shows_its_result_and_the_new_status_on_an_open_page()
    {
        var import = await MemberSeeding.ImportAsync(App, 40);
        await MemberSeeding.MembersAsync(App, "Bronze", 2, Unique("live"));
        using var browser = await SignedInAdminAsync("/admin/distributions");
        Assert.Equal("Queued", browser.Find($"[data-status='{import}']").Text);

        var outcome = await App.Get<RunDistribution>().RunImportAsync(import, "schedule:test", Ct);

        Assert.IsType<DistributionOutcome.Ran>(outcome);
        var line = browser.Until(() => browser.Driver.FindElements(OpenQA.Selenium.By.CssSelector($"[data-progress='import:{import}'][data-finished='true']")).FirstOrDefault(),
            "the run's last word");
        Assert.Contains("Completed: 80 leads to 2 members", line.Text, StringComparison.Ordinal);
        browser.Until(() => browser.Find($"[data-status='{import}']").Text == "Completed", "the status chip");
        Assert.Contains("80 leads", browser.Find($"[data-distributed='{import}']").Text, StringComparison.Ordinal);
        Assert.True(NotReloaded(browser));
        browser.Screenshot("admin-distributions-live");
    }

    [Fact]
    public async Task An_assignment_run_elsewhere_updates_its_source_card_on_an_open_page()
    {
        var agent = await App.Get<AgentDirectory>().AddAsync(new NewAgent(Unique("Live")), Ct);
        var source = Unique("LIVE");
        await App.AddLeadsAsync(source, 2);
        await App.Get<AgentPools>().SaveAsync(source, [agent.Name], AssignmentMethod.Fair, autoAssign: true, Ct);
        await App.AddLeadsAsync(source, 7);
        using var browser = await SignedInAdminAsync("/admin/assign");
        Assert.Equal("7", browser.Find($"[data-source='{source}'] [data-unassigned]").GetDomAttribute("data-unassigned"));

        await App.Get<LeadAssigner>().AssignAsync(AssignmentTrigger.Background, source, Ct);

        var line = browser.Until(() => browser.Driver.FindElements(OpenQA.Selenium.By.CssSelector($"[data-source='{source}'] [data-progress][data-finished='true']")).FirstOrDefault(),
            "the run's last word");
        Assert.Contains("7 leads assigned", line.Text, StringComparison.Ordinal);
        browser.Until(() => browser.Find($"[data-source='{source}'] [data-unassigned]").GetDomAttribute("data-unassigned") == "0", "no leads left unassigned");
        Assert.True(NotReloaded(browser));
    }
}

[Trait("Browser", "Chromium")]
public sealed class LiveUpdatesBrowserTests_Sqlite(BrowserSqliteApp app) : LiveUpdatesBrowserTests<BrowserSqliteApp>(app);

[Trait("Browser", "Chromium")]
[Trait("Database", "Postgres")]
public sealed class LiveUpdatesBrowserTests_Postgres(BrowserPostgresApp app) : LiveUpdatesBrowserTests<BrowserPostgresApp>(app);
