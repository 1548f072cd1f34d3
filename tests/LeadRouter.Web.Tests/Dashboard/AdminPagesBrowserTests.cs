using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Tests.Infrastructure;
using LeadRouter.Web.Tests.Members;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace LeadRouter.Web.Tests.Dashboard;

/// <summary>The admin pages for brokers, members, distributions, schedules, replenishment, history and users, in headless Chromium.</summary>
public abstract class AdminPagesBrowserTests<TApp> : AppTests<TApp> where TApp : LeadRouterApp, IBrowserApp
{
    const string Password = "Browser-Test-1";

    protected AdminPagesBrowserTests(TApp app) : base(app)
    {
        if (Chromium.SkipReason is { } reason) Assert.Skip(reason);
    }

    /// <summary>A new admin login, signed in through the login page in a fresh browser that lands on <paramref name="landing"/>.</summary>
    async Task<(Chromium Browser, string Email)> SignedInAdminAsync(string landing)
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
            return (browser, email);
        }
        catch
        {
            browser.Dispose(); // the caller never gets it: quit Chromium here
            throw;
        }
    }

    /// <summary>Replaces the text of an input (select all, type), so Blazor sees one change.</summary>
    static void Type(IWebElement input, string text)
    {
        input.SendKeys(Keys.Control + "a");
        input.SendKeys(Keys.Delete);
        input.SendKeys(text);
    }

    /// <summary>The error text MudBlazor shows under the input with <paramref name="inputId"/>, or "".</summary>
    static string FieldError(Chromium browser, string inputId) => string.Join(" ", browser.Driver.FindElements(By.XPath(
        $"//input[@id='{inputId}']/ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' mud-input-control ')][1]//*[contains(@class,'mud-input-error')]")).Select(e => e.Text));

    [Fact]
    public async Task An_admin_edits_a_broker_sees_validation_errors_for_bad_values_then_saves_valid_ones()
    {
        var name = Unique("Broker");
        var broker = await App.Get<BrokerDirectory>().AddAsync(new NewBroker(name, 5, 40, ["AE"], DayCap: 100), Ct);
        var (browser, _) = await SignedInAdminAsync("/admin/brokers");
        using var _b = browser;

        browser.Find($"[data-edit='{name}']").Click();
        Type(browser.Find("#broker-priority"), "11");
        Type(browser.Find("#broker-weight"), "150");
        Type(browser.Find("#broker-countries"), "AE, XX1");
        browser.Find("#broker-save").Click();

        browser.Until(() => FieldError(browser, "broker-priority").Contains("Priority must be 0–10", StringComparison.Ordinal), "the priority error");
        Assert.Contains("Weight must be 0–100", FieldError(browser, "broker-weight"), StringComparison.Ordinal);
        Assert.Contains("'XX1' is not an ISO 3166-1 alpha-2 country code", FieldError(browser, "broker-countries"), StringComparison.Ordinal);
        Assert.Equal("", FieldError(browser, "broker-day-cap"));
        browser.Screenshot("admin-brokers-errors");
        Assert.Equal((5, 40), await StoredAsync(broker.Id));

        Type(browser.Find("#broker-priority"), "7");
        Type(browser.Find("#broker-weight"), "60");
        Type(browser.Find("#broker-countries"), "ae, sa");
        Type(browser.Find("#broker-hour-cap"), "20");
        browser.Find("#broker-save").Click();

        browser.Until(() => browser.Find("#broker-message").Text.Contains($"Broker {name} saved", StringComparison.Ordinal), "the saved message");
        Assert.Equal("7", browser.Find($"[data-priority='{name}']").Text);
        Assert.Equal("60", browser.Find($"[data-weight='{name}']").Text);
        Assert.Equal("AE, SA", browser.Find($"[data-countries='{name}']").Text);
        Assert.Equal("0 / 100", browser.Find($"[data-today='{name}']").Text);
        Assert.Contains("target", browser.Find($"[data-share='{name}']").Text, StringComparison.Ordinal);
        browser.Screenshot("admin-brokers");
        var saved = await App.Get<BrokerDirectory>().GetAsync(broker.Id, Ct);
        Assert.Equal((7, 60, 20, 100), (saved!.Priority, saved.Weight, saved.HourCap, saved.DayCap));
        Assert.Equal(["AE", "SA"], saved.Countries);
        browser.Resize(390, 844);
        browser.Open("/admin/brokers");
        browser.Find($"[data-edit='{name}']");
        browser.Screenshot("admin-brokers-phone");
    }

    [Fact]
    public async Task An_admin_adds_a_member_distributes_an_import_and_adds_then_disables_a_schedule()
    {
        var username = Unique("mem");
        var import = await MemberSeeding.ImportAsync(App, 3);
        var schedule = Unique("Weekly");
        var (browser, _) = await SignedInAdminAsync("/admin/members");
        using var _b = browser;

        browser.Find("#member-username").SendKeys(username);
        browser.Find("#member-email").SendKeys($"{username}@example.com");
        browser.Find("#add-member").Click();
        browser.Until(() => browser.Find("#member-message").Text.Contains($"Member {username} added", StringComparison.Ordinal), "the member added");
        Assert.Contains(username, browser.Find("#members-table").Text, StringComparison.Ordinal);
        browser.Screenshot("admin-members");
        browser.Resize(390, 844);
        browser.Open("/admin/members");
        browser.Find("#members-table");
        browser.Screenshot("admin-members-phone");
        browser.Resize(1280, 900);

        browser.Open("/admin/distributions");
        browser.WaitInteractive();
        browser.Find($"[data-distribute='{import}']").Click();
        var result = browser.Until(() => browser.Driver.FindElements(By.CssSelector("#distribution-result")).FirstOrDefault(), "the distribution result");
        Assert.Contains("completed", result.Text, StringComparison.Ordinal);
        browser.Until(() => browser.Find($"[data-status='{import}']").Text == "Completed", "the completed status chip");
        Assert.False(browser.Find($"[data-distribute='{import}']").Enabled);
        browser.Screenshot("admin-distributions");

        browser.Open("/admin/schedules");
        browser.WaitInteractive();
        browser.Find("#schedule-name").SendKeys(schedule);
        Type(browser.Find("#schedule-time"), "25:00");
        browser.Find("#add-schedule").Click();
        browser.Until(() => FieldError(browser, "schedule-time").Contains("HH:mm", StringComparison.Ordinal), "the time error");
        Type(browser.Find("#schedule-time"), "06:30");
        browser.Find("#add-schedule").Click();
        browser.Until(() => browser.Find("#schedule-message").Text.Contains($"Schedule {schedule} added", StringComparison.Ordinal), "the schedule added");
        Assert.NotEqual("—", browser.Find($"[data-next-run='{schedule}']").Text);
        browser.Driver.ExecuteScript("arguments[0].click();", browser.Driver.FindElement(By.CssSelector($"input[data-enabled='{schedule}'], [data-enabled='{schedule}'] input")));
        browser.Until(() => browser.Find("#schedule-message").Text.Contains("disabled", StringComparison.Ordinal), "the schedule disabled");
        Assert.Equal("—", browser.Find($"[data-next-run='{schedule}']").Text);
        browser.Screenshot("admin-schedules");
        var stored = await App.Get<ScheduleDirectory>().GetAsync(schedule, Ct);
        Assert.Equal(("06:30", false), (stored!.TimeUtc, stored.Enabled));
        browser.Resize(390, 844);
        browser.Open("/admin/distributions");
        browser.Find($"[data-distribute='{import}']");
        browser.Screenshot("admin-distributions-phone");
    }

    [Fact]
    public async Task An_admin_sees_policy_errors_saves_the_policy_and_runs_replenishment()
    {
        var (browser, _) = await SignedInAdminAsync("/admin/replenishment");
        using var _b = browser;

        Type(browser.Find("#policy-json"), "{ \"priority_mix\": { \"A+\": 150 }, \"time_zone\": \"Mars/Olympus\" }");
        browser.Find("#save-policy").Click();
        var errors = browser.Until(() => browser.Driver.FindElements(By.CssSelector("#policy-errors li[data-field]")) is { Count: > 0 } e ? e : null, "the policy errors");
        Assert.NotEmpty(errors);
        browser.Screenshot("admin-replenishment-errors");

        browser.Find("#default-policy").Click();
        browser.Find("#save-policy").Click();
        browser.Until(() => browser.Find("#policy-message").Text == "Policy saved.", "the policy saved");
        Assert.Empty(browser.Driver.FindElements(By.CssSelector("#policy-errors")));
        browser.Find("#run-replenishment").Click();
        var result = browser.Until(() => browser.Driver.FindElements(By.CssSelector("#run-result")).FirstOrDefault(), "the run result");
        var runId = result.Text.Split(' ', ':')[1];
        browser.Find($"[data-released='{runId}']");
        browser.Screenshot("admin-replenishment");
    }

    [Fact]
    public async Task An_admin_filters_the_assignment_history_by_agent()
    {
        var agents = App.Get<LeadRouter.Web.Features.Agents.AgentDirectory>();
        var ann = await agents.AddAsync(new LeadRouter.Web.Features.Agents.NewAgent(Unique("Ann")), Ct);
        var bo = await agents.AddAsync(new LeadRouter.Web.Features.Agents.NewAgent(Unique("Bo")), Ct);
        var source = Unique("HIST");
        await App.AddLeadsAsync(source, 3);
        await App.Get<LeadRouter.Web.Features.Agents.AgentPools>().SaveAsync(source, [ann.Name, bo.Name], LeadRouter.Domain.Agents.AssignmentMethod.Fair,
            autoAssign: true, Ct);
        var (browser, _) = await SignedInAdminAsync("/admin/history");
        using var _b = browser;

        browser.Find("#history-agent").Click();
        browser.Until(() => browser.Driver.FindElements(By.XPath($"//div[contains(@class,'mud-popover-open')]//p[normalize-space()='{ann.Name}']")).FirstOrDefault(), "Ann in the list").Click();

        browser.Until(() => browser.Find("#history-total").Text.StartsWith("2 assignments", StringComparison.Ordinal)
            || browser.Find("#history-total").Text.StartsWith("1 assignments", StringComparison.Ordinal), "the filtered history");
        var rows = browser.Find("#history-table").FindElements(By.CssSelector("tbody tr"));
        Assert.All(rows, r => Assert.Contains(ann.Name, r.Text, StringComparison.Ordinal));
        Assert.Contains(source, rows[0].Text, StringComparison.Ordinal);
        browser.Screenshot("admin-history");
    }

    [Fact]
    public async Task An_admin_creates_a_login_and_resets_its_password()
    {
        var email = $"{Unique("agent")}@example.com";
        var (browser, _) = await SignedInAdminAsync("/admin/users");
        using var _b = browser;

        browser.Find("#user-email").SendKeys(email);
        browser.Find("#user-password").SendKeys("short");
        browser.Find("#add-user").Click();
        browser.Until(() => FieldError(browser, "user-password").Length > 0, "the password rules");
        Type(browser.Find("#user-password"), "First-Password-1");
        browser.Find("#add-user").Click();
        browser.Until(() => browser.Find("#user-message").Text.Contains($"Login {email} created (Agent)", StringComparison.Ordinal), "the login created");
        browser.Find($"[data-reset='{email}']").Click();
        browser.Find("#reset-password").SendKeys("Second-Password-2");
        browser.Find("#reset-save").Click();
        browser.Until(() => browser.Find("#user-message").Text.Contains("reset", StringComparison.Ordinal), "the reset message");
        browser.Screenshot("admin-users");

        using var agent = new Chromium(App.BaseUrl);
        agent.Open("/");
        agent.SignIn(email, "Second-Password-2", "/agent/leads");
        foreach (var page in new[] { "/admin/users", "/admin/brokers", "/admin/replenishment" })
        {
            agent.Open(page);
            agent.Until(() => agent.Driver.PageSource.Contains("Access denied", StringComparison.Ordinal), $"access denied on {page}");
        }
    }

    async Task<(int, int)> StoredAsync(long id) =>
        await App.Get<BrokerDirectory>().GetAsync(id, Ct) is { } b ? (b.Priority, b.Weight) : default;
}

[Trait("Browser", "Chromium")]
public sealed class AdminPagesBrowserTests_Sqlite(BrowserSqliteApp app) : AdminPagesBrowserTests<BrowserSqliteApp>(app);

[Trait("Browser", "Chromium")]
[Trait("Database", "Postgres")]
public sealed class AdminPagesBrowserTests_Postgres(BrowserPostgresApp app) : AdminPagesBrowserTests<BrowserPostgresApp>(app);
