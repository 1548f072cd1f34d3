using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Tests.Infrastructure;
using LeadRouter.Web.Tests.Members;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace LeadRouter.Web.Tests.Dashboard;

/// <summary>Every visible control of every page (and of the brokers page's dialogs) has an accessible name, in headless Chromium.</summary>
public abstract class AccessibilityBrowserTests<TApp> : AppTests<TApp> where TApp : LeadRouterApp, IBrowserApp
{
    const string Password = "Browser-Test-1";

    /// <summary>
    /// The visible form controls, buttons, links, tabs and ARIA widgets that have no accessible name (aria-label,
    /// aria-labelledby, a label, a wrapping label, a title, or their own text for buttons and links), as short HTML.
    /// </summary>
    const string Unnamed = """
        const text = e => (e?.textContent || '').replace(/\s+/g, ' ').trim();
        const nameOf = el => {
          const aria = el.getAttribute('aria-label'); if (aria && aria.trim()) return aria;
          const by = el.getAttribute('aria-labelledby');
          if (by) { const t = by.split(/\s+/).map(id => text(document.getElementById(id))).join(' ').trim(); if (t) return t; }
          if (el.id) { const l = document.querySelector('label[for="' + CSS.escape(el.id) + '"]'); if (text(l)) return text(l); }
          if (text(el.closest('label'))) return text(el.closest('label'));
          if (el.title && el.title.trim()) return el.title;
          const role = el.getAttribute('role');
          if (['BUTTON', 'A'].includes(el.tagName) || ['button', 'link', 'tab', 'menuitem', 'option'].includes(role)) { if (text(el)) return text(el); }
          if (el.tagName === 'INPUT' && ['submit', 'button'].includes(el.type) && el.value) return el.value;
          return null;
        };
        const visible = el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el); return (r.width > 0 || r.height > 0) && s.visibility !== 'hidden' && s.display !== 'none'; };
        return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href], [role=button], [role=switch], [role=checkbox], [role=combobox], [role=slider], [role=tab], [role=radio]')]
          .filter(visible).filter(el => !nameOf(el)).map(el => el.outerHTML.slice(0, 240));
        """;

    protected AccessibilityBrowserTests(TApp app) : base(app)
    {
        if (Chromium.SkipReason is { } reason) Assert.Skip(reason);
    }

    async Task<string> LoginAsync(string role, string? email = null)
    {
        email ??= $"{Unique(role.ToLowerInvariant())}@example.com";
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<UserAccounts>().AddAsync(email, Password, role, Ct);
        return email;
    }

    async Task AddMemberAsync(NewMember member)
    {
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<MemberDirectory>().AddAsync(member, Ct);
    }

    static void AssertNamed(Chromium browser, string where)
    {
        var unnamed = ((IEnumerable<object>)browser.Driver.ExecuteScript(Unnamed)!).Select(o => o.ToString()).ToList();
        Assert.True(unnamed.Count == 0, $"Controls without an accessible name on {where}:\n{string.Join("\n", unnamed)}");
    }

    [Fact]
    public async Task Every_control_on_the_admin_pages_has_an_accessible_name()
    {
        var agent = await App.Get<AgentDirectory>().AddAsync(new NewAgent(Unique("Ann")), Ct);
        var source = Unique("A11Y");
        await App.AddLeadsAsync(source, 3);
        await App.Get<AgentPools>().SaveAsync(source, [agent.Name], AssignmentMethod.Fair, autoAssign: true, Ct);
        var broker = await App.Get<BrokerDirectory>().AddAsync(new NewBroker(Unique("A11yBroker"), 5, 10, ["AE"]), Ct);
        await MemberSeeding.ImportAsync(App, 2);
        await AddMemberAsync(new NewMember(Unique("m"), $"{Unique("m")}@example.com", "Gold"));
        var admin = await LoginAsync(Roles.Admin);
        using var browser = new Chromium(App.BaseUrl);

        browser.Open("/login");
        browser.Find("#email");
        AssertNamed(browser, "/login");
        browser.SignIn(admin, Password, "/admin");
        foreach (var page in new[] { "/admin", "/admin/imports", "/admin/assign", "/admin/agents", "/admin/leads", "/admin/history", "/admin/brokers",
                     "/admin/members", "/admin/distributions", "/admin/schedules", "/admin/replenishment", "/admin/users" })
        {
            browser.Open(page);
            browser.WaitInteractive();
            browser.Until(() => browser.Driver.FindElements(By.CssSelector(".mud-progress-linear-indeterminate, .mud-progress-indeterminate")).Count == 0, $"{page} loaded");
            AssertNamed(browser, page);
        }

        browser.Open("/admin/brokers");
        browser.WaitInteractive();
        browser.Find($"[data-edit='{broker.Name}']").Click();
        browser.Find("#broker-name");
        AssertNamed(browser, "the broker dialog");
        browser.Find("#broker-cancel").Click();
        browser.Until(() => browser.Driver.FindElements(By.CssSelector("#broker-name")).Count == 0, "the broker dialog closed");
        browser.Find($"[data-api='{broker.Name}']").Click();
        browser.Find("#api-config-json");
        AssertNamed(browser, "the API dialog");

        // The check itself finds a control without a name.
        browser.Driver.ExecuteScript("document.body.appendChild(document.createElement('button')).innerHTML = '<svg width=10 height=10></svg>';");
        Assert.Single((IEnumerable<object>)browser.Driver.ExecuteScript(Unnamed)!);
    }

    [Fact]
    public async Task Every_control_on_the_agent_and_member_pages_has_an_accessible_name()
    {
        var agentEmail = $"{Unique("agent")}@example.com";
        var agent = await App.Get<AgentDirectory>().AddAsync(new NewAgent(Unique("Agent"), agentEmail), Ct);
        await LoginAsync(Roles.Agent, agentEmail);
        var source = Unique("A11YA");
        await App.AddLeadsAsync(source, 2);
        await App.Get<AgentPools>().SaveAsync(source, [agent.Name], AssignmentMethod.Fair, autoAssign: true, Ct);
        var memberName = Unique("mem");
        await AddMemberAsync(new NewMember(memberName, $"{memberName}@example.com", "Bronze", Password: Password));

        using (var browser = new Chromium(App.BaseUrl))
        {
            browser.Open("/");
            browser.SignIn(agentEmail, Password, "/agent/leads");
            browser.WaitInteractive();
            browser.Find("[data-to]");
            AssertNamed(browser, "/agent/leads");
        }

        using (var browser = new Chromium(App.BaseUrl))
        {
            browser.Open("/");
            browser.SignIn($"{memberName}@example.com", Password, "/member/files");
            browser.WaitInteractive();
            AssertNamed(browser, "/member/files");
        }
    }
}

[Trait("Browser", "Chromium")]
public sealed class AccessibilityBrowserTests_Sqlite(BrowserSqliteApp app) : AccessibilityBrowserTests<BrowserSqliteApp>(app);

[Trait("Browser", "Chromium")]
[Trait("Database", "Postgres")]
public sealed class AccessibilityBrowserTests_Postgres(BrowserPostgresApp app) : AccessibilityBrowserTests<BrowserPostgresApp>(app);
