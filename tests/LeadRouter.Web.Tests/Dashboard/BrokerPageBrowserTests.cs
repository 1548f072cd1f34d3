using System.Text.Json;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Postbacks;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace LeadRouter.Web.Tests.Dashboard;

/// <summary>The brokers page's delivery parts (API config preview and save, test push, delivery log) and its charts, in headless Chromium.</summary>
public abstract class BrokerPageBrowserTests<TApp> : AppTests<TApp> where TApp : LeadRouterApp, IBrowserApp
{
    const string Password = "Browser-Test-1";

    protected BrokerPageBrowserTests(TApp app) : base(app)
    {
        if (Chromium.SkipReason is { } reason) Assert.Skip(reason);
    }

    async Task<Chromium> SignedInAdminAsync(string? timeZone = null)
    {
        var email = $"{Unique("admin")}@example.com";
        await using (var scope = App.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<UserAccounts>().AddAsync(email, Password, Roles.Admin, Ct);
        var browser = new Chromium(App.BaseUrl);
        try
        {
            if (timeZone is not null)
                browser.Driver.ExecuteCdpCommand("Emulation.setTimezoneOverride", new Dictionary<string, object?> { ["timezoneId"] = timeZone });
            browser.Open("/admin/brokers");
            browser.SignIn(email, Password, "/admin/brokers");
            browser.WaitInteractive();
            return browser;
        }
        catch
        {
            browser.Dispose();
            throw;
        }
    }

    /// <summary>Puts <paramref name="text"/> into a textarea as one change, as a paste does.</summary>
    static void Paste(Chromium browser, IWebElement textarea, string text)
    {
        browser.Driver.ExecuteScript("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', { bubbles: true }));", textarea, text);
    }

    /// <summary>Picks <paramref name="item"/> in the MudSelect with id <paramref name="selectId"/> (clicks retried while a popover still moves).</summary>
    static void Choose(Chromium browser, string selectId, string item)
    {
        // The select's input carries the id; once a value is chosen it is hidden, so open the select by its control.
        browser.Until(() =>
        {
            var control = browser.Driver.FindElements(By.XPath($"//input[@id='{selectId}']/ancestor::div[contains(@class,'mud-select')][1]")).FirstOrDefault(e => e.Displayed);
            control?.Click();
            return control is not null;
        }, $"select {selectId}");
        browser.Until(() =>
        {
            var option = browser.Driver.FindElements(By.XPath($"//div[contains(@class,'mud-popover-open')]//p[normalize-space()='{item}']")).FirstOrDefault(e => e.Displayed);
            option?.Click();
            return option is not null;
        }, $"{item} in {selectId}");
        browser.Until(() => browser.Driver.FindElements(By.CssSelector(".mud-popover-open .mud-list-item")).Count == 0, $"{selectId} closed");
    }

    static void TypeDate(Chromium browser, string inputId, string date) => browser.Until(() =>
    {
        var input = browser.Find($"#{inputId}");
        input.SendKeys(Keys.Control + "a");
        input.SendKeys(Keys.Delete);
        input.SendKeys(date + Keys.Tab);
        return true;
    }, $"{date} typed into {inputId}");

    [Fact]
    public async Task An_admin_previews_a_broker_api_config_sees_its_errors_saves_it_and_test_pushes()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var name = Unique("Api");
        var broker = await App.Get<BrokerDirectory>().AddAsync(new NewBroker(name, 5, 50, ["AE"]), Ct);
        using var browser = await SignedInAdminAsync();
        var endpoint = new Uri(receiver.Url, "leads").AbsoluteUri;

        browser.Find($"[data-api='{name}']").Click();
        browser.Until(() => browser.Find("#api-config-stored").Text.StartsWith("None yet", StringComparison.Ordinal), "no stored config");
        Assert.False(browser.Find("#test-push").Enabled);
        Paste(browser, browser.Find("#api-config-json"), JsonSerializer.Serialize(new
        {
            endpoint,
            apiKey = "sk_live_0123456789abcd",
            method = "GET",
            headers = new Dictionary<string, string> { ["Content-Type"] = "application/json", ["Host"] = "evil.example", ["X-Campaign"] = "gcc" },
        }));
        browser.Find("#api-config-preview-button").Click();

        var errors = browser.Until(() => browser.Driver.FindElements(By.CssSelector("#api-config-errors li[data-field]")) is { Count: > 0 } e ? e : null, "the preview errors");
        Assert.Equal(["headers.Host", "method"], errors.Select(e => e.GetDomAttribute("data-field")).Order(StringComparer.Ordinal));
        Assert.Equal("****abcd (sent in X-API-Key)", browser.Find("[data-preview='apiKey']").Text);
        Assert.DoesNotContain("0123456789", browser.Find("#api-config-preview").Text, StringComparison.Ordinal);
        Assert.False(browser.Find("#api-config-save").Enabled);
        browser.Screenshot("admin-brokers-api-errors");

        Paste(browser, browser.Find("#api-config-json"), JsonSerializer.Serialize(new
        {
            endpoint,
            apiKey = "sk_live_0123456789abcd",
            method = "POST",
            headers = new Dictionary<string, string> { ["Content-Type"] = "application/json", ["X-Campaign"] = "gcc" },
        }));
        browser.Find("#api-config-preview-button").Click();
        browser.Until(() => browser.Driver.FindElements(By.CssSelector("#api-config-errors")).Count == 0 && browser.Find("#api-config-save").Enabled, "a clean preview");
        Assert.Contains("X-Campaign: gcc", browser.Find("[data-preview='headers']").Text, StringComparison.Ordinal);
        Assert.Contains("Content-Type", browser.Find("#api-config-notes").Text, StringComparison.Ordinal);
        browser.Find("#api-config-save").Click();

        var secret = browser.Until(() => browser.Driver.FindElements(By.CssSelector("#api-config-secret")).FirstOrDefault()?.Text, "the new signing secret");
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var stored = await App.Get<BrokerApiConfig>().GetAsync(broker.Id, Ct);
        Assert.Equal((endpoint, "POST", "****abcd", "gcc"), (stored!.Endpoint, stored.Method, stored.ApiKey, stored.Headers["X-Campaign"]));
        Assert.Contains(endpoint, browser.Find("#api-config-stored").Text, StringComparison.Ordinal);

        browser.Find("#test-push").Click();
        var result = browser.Until(() => browser.Driver.FindElements(By.CssSelector("#test-push-result")).FirstOrDefault(), "the test push result");
        Assert.Equal("HTTP 200", result.FindElement(By.CssSelector("[data-test-push='status']")).Text);
        Assert.EndsWith(" ms", result.FindElement(By.CssSelector("[data-test-push='duration']")).Text, StringComparison.Ordinal);
        Assert.Equal("answer 200", result.FindElement(By.CssSelector("[data-test-push='excerpt']")).Text);
        var push = Assert.Single(receiver.Requests);
        Assert.Equal(("POST", "/leads", "sk_live_0123456789abcd", "gcc"), (push.Method, push.Path, push.Header("X-API-Key"), push.Header("X-Campaign")));
        Assert.True(JsonDocument.Parse(push.Body).RootElement.GetProperty("test").GetBoolean());
        Assert.True(WebhookSignature.Verify(secret, push.Header("webhook-id"), long.Parse(push.Header("webhook-timestamp"), System.Globalization.CultureInfo.InvariantCulture),
            push.Body, push.Header("webhook-signature")));
        browser.Screenshot("admin-brokers-api");

        browser.Resize(390, 844);
        browser.Driver.ExecuteScript("document.getElementById('test-push-result').scrollIntoView();");
        browser.Screenshot("admin-brokers-api-phone");
    }

    [Fact]
    public async Task An_admin_filters_the_delivery_log_and_sees_the_performance_charts()
    {
        var (a, b) = await SeedDeliveriesAsync();
        using var browser = await SignedInAdminAsync();

        Choose(browser, "delivery-broker", b.Name);
        browser.Until(() => browser.Find("#delivery-total").Text == "2 deliveries", "B's deliveries");
        Assert.All(browser.Driver.FindElements(By.CssSelector("[data-delivery-broker]")), c => Assert.Equal(b.Name, c.Text));
        Choose(browser, "delivery-status", "Rejected");
        browser.Until(() => browser.Find("#delivery-total").Text == "1 delivery", "B's rejected delivery");
        var rejected = browser.Find("[data-delivery-status]");
        Assert.Equal("Rejected", rejected.Text);
        var id = rejected.GetDomAttribute("data-delivery-status");
        browser.Find($"[data-attempts='{id}']").Click();
        var attempts = browser.Find($"[data-attempts-of='{id}']");
        Assert.Contains("HTTP 400", attempts.Text, StringComparison.Ordinal);
        Assert.Contains("bad phone", attempts.Text, StringComparison.Ordinal);

        Choose(browser, "delivery-broker", a.Name);
        Choose(browser, "delivery-status", "Delivered");
        browser.Until(() => browser.Find("#delivery-total").Text == "3 deliveries", "A's delivered deliveries");
        TypeDate(browser, "delivery-from", "2025-01-05");
        browser.Until(() => browser.Find("#delivery-total").Text == "1 delivery", "A's deliveries from Jan 5");
        TypeDate(browser, "delivery-to", "2025-01-04");
        browser.Until(() => browser.Driver.FindElements(By.CssSelector("#delivery-error")).FirstOrDefault()?.Text.Contains("end is before", StringComparison.Ordinal) == true,
            "a reversed range refused");
        TypeDate(browser, "delivery-from", "2025-01-03");
        browser.Until(() => browser.Find("#delivery-total").Text == "2 deliveries", "A's deliveries of Jan 3 and 4");
        browser.Driver.ExecuteScript("document.getElementById('delivery-log').scrollIntoView();");
        browser.Screenshot("admin-brokers-deliveries");

        Assert.Equal("4", browser.Find($"[data-report-routed='{a.Name}']").Text);
        Assert.Equal("33.3 %", browser.Find($"[data-report-conversion='{a.Name}']").Text);
        Assert.Equal("USD 250.00", browser.Find($"[data-report-revenue='{a.Name}']").Text);
        Assert.Equal("100 %", browser.Find($"[data-report-conversion='{b.Name}']").Text);
        foreach (var chart in new[] { "chart-volume", "chart-conversion", "chart-revenue", "chart-response", "chart-share" })
            Assert.NotEmpty(browser.Find($"#{chart}").FindElements(By.CssSelector("svg path, svg rect")));
        Assert.Contains("Routed: ", browser.Find("#chart-volume").GetDomAttribute("aria-label"), StringComparison.Ordinal);
        browser.Driver.ExecuteScript("document.getElementById('broker-performance').scrollIntoView();");
        browser.Screenshot("admin-brokers-performance");

        browser.Resize(390, 844);
        browser.Driver.ExecuteScript("document.getElementById('broker-performance').scrollIntoView();");
        browser.Screenshot("admin-brokers-performance-phone");
        browser.Driver.ExecuteScript("document.getElementById('delivery-log').scrollIntoView();");
        browser.Screenshot("admin-brokers-deliveries-phone");
    }

    [Fact]
    public async Task Times_and_day_filters_follow_the_browsers_time_zone()
    {
        var broker = await App.Get<BrokerDirectory>().AddAsync(new NewBroker(Unique("Zone"), 5, 10, []), Ct);
        var lead = (await App.AddLeadsAsync(Unique("ZONE"), 1))[0];
        await using (var db = App.CreateDb())
        {
            var at = new DateTimeOffset(2025, 1, 5, 20, 0, 0, TimeSpan.Zero); // Jan 6, 01:30 in Kolkata
            db.Deliveries.Add(new Delivery
            {
                WebhookId = "msg_" + Guid.NewGuid().ToString("N"),
                LeadId = lead,
                BrokerId = broker.Id,
                Status = DeliveryStatus.Delivered,
                Attempts = 1,
                CreatedAt = at,
                NextAttemptAt = at,
                CompletedAt = at
            });
            await db.SaveChangesAsync(Ct);
        }

        using var browser = await SignedInAdminAsync("Asia/Kolkata");

        Assert.Contains(browser.Find("#display-zone").Text, new[] { "Asia/Kolkata", "Asia/Calcutta" }); // Chromium may name the older alias
        Choose(browser, "delivery-broker", broker.Name);
        browser.Until(() => browser.Find("#delivery-total").Text == "1 delivery", "the broker's delivery");
        Assert.Equal("2025-01-06 01:30", browser.Find("#delivery-table tbody tr td:nth-child(2)").Text);
        TypeDate(browser, "delivery-to", "2025-01-05");
        browser.Until(() => browser.Find("#delivery-total").Text == "0 deliveries", "nothing on Jan 5 in Kolkata");
        TypeDate(browser, "delivery-from", "2025-01-06");
        TypeDate(browser, "delivery-to", "2025-01-06");
        browser.Until(() => browser.Find("#delivery-total").Text == "1 delivery", "the delivery on Jan 6 in Kolkata");
    }

    /// <summary>
    /// Broker A: leads routed Jan 3, 4, 5 and 5 (display zone UTC), delivered pushes created Jan 3, 4, 5, one pending;
    /// lead 1 converted with a USD 250.00 deposit. Broker B: two leads routed Jan 5, one delivered and converted, one rejected (HTTP 400).
    /// </summary>
    async Task<(Broker A, Broker B)> SeedDeliveriesAsync()
    {
        await using var db = App.CreateDb();
        var now = App.Clock.GetUtcNow();
        Broker NewBroker(string prefix) => db.Brokers.Add(new Broker { Name = Unique(prefix), Priority = 4, Weight = 50, CreatedAt = now, EndpointUrl = "http://127.0.0.1:9/" }).Entity;
        var (a, b) = (NewBroker("LogA"), NewBroker("LogB"));
        await db.SaveChangesAsync(Ct);
        var ids = await App.AddLeadsAsync(Unique("LOG"), 6);
        var day = new DateTimeOffset(2025, 1, 3, 10, 0, 0, TimeSpan.Zero);
        var leads = new (long Id, Broker Broker, DateTimeOffset At, DeliveryStatus Status, int Http)[]
        {
            (ids[0], a, day, DeliveryStatus.Delivered, 200), (ids[1], a, day.AddDays(1), DeliveryStatus.Delivered, 200),
            (ids[2], a, day.AddDays(2), DeliveryStatus.Delivered, 200), (ids[3], a, day.AddDays(2), DeliveryStatus.Pending, 503),
            (ids[4], b, day.AddDays(2), DeliveryStatus.Delivered, 200), (ids[5], b, day.AddDays(2).AddHours(1), DeliveryStatus.Rejected, 400),
        };
        var deliveries = new List<Delivery>();
        foreach (var (id, broker, at, status, _) in leads)
        {
            db.BrokerAssignments.Add(new BrokerAssignment { LeadId = id, BrokerId = broker.Id, Priority = 4, Country = "AE", Decision = "{}", RoutedAt = at });
            deliveries.Add(db.Deliveries.Add(new Delivery
            {
                WebhookId = "msg_" + Guid.NewGuid().ToString("N"),
                LeadId = id,
                BrokerId = broker.Id,
                Status = status,
                Attempts = 1,
                CreatedAt = at,
                NextAttemptAt = at.AddMinutes(1),
                CompletedAt = status == DeliveryStatus.Pending ? null : at,
            }).Entity);
        }

        await db.SaveChangesAsync(Ct);
        for (var i = 0; i < leads.Length; i++)
            db.PushLogs.Add(new PushLog
            {
                DeliveryId = deliveries[i].Id,
                LeadId = leads[i].Id,
                BrokerId = leads[i].Broker.Id,
                Attempt = 1,
                Status = leads[i].Status,
                HttpStatus = leads[i].Http,
                ResponseExcerpt = leads[i].Http == 400 ? "{\"error\":\"bad phone\"}" : "ok",
                DurationMs = 100 + 20 * i,
                At = leads[i].At,
            });
        void Event(int lead, PostbackEvent ev, long? minor = null) => db.LeadEvents.Add(new LeadEvent
        {
            BrokerId = leads[lead].Broker.Id,
            LeadId = leads[lead].Id,
            EventId = Guid.NewGuid().ToString("N"),
            Event = ev,
            AmountMinor = minor,
            Currency = minor is null ? null : "USD",
            OccurredAt = now,
            ReceivedAt = now,
            LeadStatusAfter = LeadStatus.Converted,
            AuthMethod = "token",
        });
        Event(0, PostbackEvent.Deposit, 25000);
        Event(0, PostbackEvent.Converted);
        Event(4, PostbackEvent.Converted);
        await db.SaveChangesAsync(Ct);
        return (a, b);
    }
}

[Trait("Browser", "Chromium")]
public sealed class BrokerPageBrowserTests_Sqlite(BrowserSqliteApp app) : BrokerPageBrowserTests<BrowserSqliteApp>(app);

[Trait("Browser", "Chromium")]
[Trait("Database", "Postgres")]
public sealed class BrokerPageBrowserTests_Postgres(BrowserPostgresApp app) : BrokerPageBrowserTests<BrowserPostgresApp>(app);
