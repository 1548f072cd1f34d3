using Bunit;
using LeadRouter.Data.Brokers;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Dashboard;
using LeadRouter.Web.Features.Platform;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace LeadRouter.Web.Tests.Components;

/// <summary>The brokers page's delivery components (bUnit) on the app's real services and database.</summary>
public abstract class BrokerComponentTests<TApp> : AppTests<TApp>, IAsyncDisposable where TApp : LeadRouterApp
{
    readonly BunitContext ctx = Components.NewContext();

    protected BrokerComponentTests(TApp app) : base(app)
    {
        ctx.Services.AddSingleton(App.Get<BrokerApiConfig>());
        ctx.Services.AddSingleton(App.Get<DispatchDeliveries>());
        ctx.Services.AddSingleton(App.Get<DeliveryLog>());
        ctx.Services.AddSingleton(new DisplayClock(App.Get<IOptions<DisplayOptions>>(), App.Clock));
    }

    public async ValueTask DisposeAsync()
    {
        await ctx.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    static IReadOnlyList<string?> Fields(IRenderedComponent<BrokerApiConfigPanel> cut) =>
        cut.FindAll("#api-config-errors li[data-field]").Select(e => e.GetAttribute("data-field")).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task The_config_preview_lists_every_bad_field_masks_the_key_and_only_a_current_clean_preview_can_be_saved()
    {
        var broker = await App.Get<BrokerDirectory>().AddAsync(new NewBroker(Unique("Cfg"), 5, 10, []), Ct);
        var cut = ctx.Render<BrokerApiConfigPanel>(p => p.Add(c => c.BrokerId, broker.Id));
        var preview = () => cut.Find("#api-config-preview-button").Click();

        cut.Find("#api-config-json").Change("{ \"endpoint\": ");
        preview();
        cut.WaitForAssertion(() => Assert.Equal(["json"], Fields(cut)));

        cut.Find("#api-config-json").Change("{\"endpoint\": 42}");
        preview();
        cut.WaitForAssertion(() => Assert.Equal(["endpoint"], Fields(cut)));

        cut.Find("#api-config-json").Change("""
            { "brokerId": 999999, "endpoint": "ftp://files.example/leads", "apiKey": "sk_live_abcdefgh1234", "method": "DELETE",
              "headers": { "Bad Header": "x", "webhook-id": "mine", "X-Ok": "yes" }, "campaign": "gcc" }
            """);
        preview();
        cut.WaitForAssertion(() => Assert.Equal(["brokerId", "endpoint", "headers.Bad Header", "headers.webhook-id", "method"], Fields(cut)));
        Assert.Equal("****1234 (sent in X-API-Key)", cut.Find("[data-preview='apiKey']").TextContent);
        Assert.DoesNotContain("abcdefgh", cut.Find("#api-config-preview").TextContent, StringComparison.Ordinal);
        Assert.Contains("Unknown field 'campaign' is ignored.", cut.Find("#api-config-notes").TextContent, StringComparison.Ordinal);
        Assert.True(cut.Find("#api-config-save").HasAttribute("disabled"));

        cut.Find("#api-config-json").Change("""{ "endpoint": "http://127.0.0.1:9/leads", "apiKey": "sk_live_abcdefgh1234", "headers": { "X-Ok": "yes" } }""");
        preview();
        cut.WaitForAssertion(() => Assert.False(cut.Find("#api-config-save").HasAttribute("disabled")));
        Assert.Empty(Fields(cut));
        Assert.Equal("POST", cut.Find("[data-preview='method']").TextContent);
        Assert.Contains("Saving makes a new signing secret", cut.Find("#api-config-notes").TextContent, StringComparison.Ordinal);
        cut.Find("#api-config-json").Change("""{ "endpoint": "http://127.0.0.1:9/other" }""");
        // The preview no longer shows what would be saved (MudTextField passes the new value on asynchronously).
        cut.WaitForAssertion(() => Assert.True(cut.Find("#api-config-save").HasAttribute("disabled")));
        Assert.Null((await App.Get<BrokerApiConfig>().GetAsync(broker.Id, Ct))!.Endpoint);

        preview();
        cut.WaitForAssertion(() => Assert.False(cut.Find("#api-config-save").HasAttribute("disabled")));
        Assert.Equal("unchanged (the stored key stays)", cut.Find("[data-preview='apiKey']").TextContent.Trim());
        cut.Find("#api-config-save").Click();

        cut.WaitForAssertion(() => Assert.StartsWith("whsec_", cut.Find("#api-config-secret").TextContent, StringComparison.Ordinal));
        var stored = await App.Get<BrokerApiConfig>().GetAsync(broker.Id, Ct);
        Assert.Equal(("http://127.0.0.1:9/other", "POST", null), (stored!.Endpoint, stored.Method, stored.ApiKey));
        Assert.Contains("http://127.0.0.1:9/other", cut.Find("#api-config-stored").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_stored_configuration_shows_the_field_mapping_in_body_order_or_the_whole_lead()
    {
        var broker = await App.Get<BrokerDirectory>().AddAsync(new NewBroker(Unique("Map"), 5, 10, []), Ct);
        await App.Get<BrokerApiConfig>().SetAsync(new BrokerApiConfigRequest(broker.Id, "http://127.0.0.1:9/leads"), Ct);
        static IReadOnlyList<(string?, string)> Mapping(IRenderedComponent<BrokerApiConfigPanel> panel) =>
            panel.FindAll("#api-config-field-map [data-field-map]").Select(e => (e.GetAttribute("data-field-map"), e.TextContent.Trim())).ToList();
        var cut = ctx.Render<BrokerApiConfigPanel>(p => p.Add(c => c.BrokerId, broker.Id));

        var before = "";
        cut.WaitForAssertion(() => before = cut.Find("#api-config-field-map").TextContent.Trim()); // once the stored configuration is loaded
        cut.Find("#api-config-json").Change("""
            { "endpoint": "http://127.0.0.1:9/leads",
              "fieldMap": { "phone": "msisdn", "email": "contact_email", "attributes.campaign": "campaign_id" } }
            """);
        cut.Find("#api-config-preview-button").Click();
        cut.WaitForAssertion(() => Assert.False(cut.Find("#api-config-save").HasAttribute("disabled")));
        cut.Find("#api-config-save").Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(Mapping(cut)));
        var reloaded = ctx.Render<BrokerApiConfigPanel>(p => p.Add(c => c.BrokerId, broker.Id));
        reloaded.WaitForAssertion(() => Assert.NotEmpty(Mapping(reloaded)));

        Assert.Equal("the whole lead", before);
        (string?, string)[] expected =
            [("phone", "phone → msisdn"), ("email", "email → contact_email"), ("attributes.campaign", "attributes.campaign → campaign_id")];
        Assert.Equal(expected, Mapping(cut));
        Assert.Equal(expected, Mapping(reloaded)); // as stored, in body order
    }

    [Fact]
    public async Task The_delivery_log_filters_by_status_and_days_and_shows_a_deliverys_attempts()
    {
        var (broker, ids) = await SeedAsync();
        var popovers = ctx.RenderPopovers();
        var cut = ctx.Render<DeliveryLogTable>(p => p.Add(c => c.Brokers, [broker]).Add(c => c.PageSize, 2));
        var select = cut.FindComponents<MudSelect<long?>>().Single(s => s.Instance.UserAttributes.GetValueOrDefault("id") as string == "delivery-broker");

        await cut.InvokeAsync(() => select.Instance.OpenMenu());
        popovers.WaitForAssertion(() => popovers.FindAll(".mud-popover-open .mud-list-item").Single(e => e.TextContent.Trim() == broker.Name).Click());
        cut.WaitForAssertion(() => Assert.Equal("4 deliveries", cut.Find("#delivery-total").TextContent.Trim()));
        Assert.Equal(2, cut.FindAll("[data-delivery-status]").Count); // two a page
        Assert.Equal([ids[3], ids[2]], cut.FindAll("tbody tr td:first-child").Select(td => long.Parse(td.TextContent, System.Globalization.CultureInfo.InvariantCulture)));

        var status = cut.FindComponents<MudSelect<DeliveryStatus?>>().Single();
        await cut.InvokeAsync(() => status.Instance.OpenMenu());
        popovers.WaitForAssertion(() => popovers.FindAll(".mud-popover-open .mud-list-item").Single(e => e.TextContent.Trim() == "Delivered").Click());
        cut.WaitForAssertion(() => Assert.Equal("3 deliveries", cut.Find("#delivery-total").TextContent.Trim()));

        cut.Find("#delivery-from").Change("2025-01-05");
        cut.WaitForAssertion(() => Assert.Equal("2 deliveries", cut.Find("#delivery-total").TextContent.Trim()));
        cut.Find("#delivery-to").Change("2025-01-05");
        cut.WaitForAssertion(() => Assert.Equal("1 delivery", cut.Find("#delivery-total").TextContent.Trim()));
        Assert.Equal("2025-01-05 23:30", cut.Find("tbody tr td:nth-child(2)").TextContent.Trim());

        cut.Find($"[data-attempts='{ids[1]}']").Click();
        cut.WaitForAssertion(() => Assert.Contains("HTTP 503", cut.Find($"[data-attempts-of='{ids[1]}']").TextContent, StringComparison.Ordinal));
        Assert.Contains("#2", cut.Find($"[data-attempts-of='{ids[1]}']").TextContent, StringComparison.Ordinal);
    }

    /// <summary>One broker's four deliveries: Jan 4 12:00 delivered, Jan 5 23:30 delivered after a 503, Jan 6 00:30 delivered, Jan 6 rejected.</summary>
    async Task<(BrokerDto Broker, IReadOnlyList<long> DeliveryIds)> SeedAsync()
    {
        var broker = await App.Get<BrokerDirectory>().AddAsync(new NewBroker(Unique("Log"), 5, 10, []), Ct);
        var leads = await App.AddLeadsAsync(Unique("LOGC"), 4);
        var times = new[] { new DateTimeOffset(2025, 1, 4, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 1, 5, 23, 30, 0, TimeSpan.Zero),
            new DateTimeOffset(2025, 1, 6, 0, 30, 0, TimeSpan.Zero), new DateTimeOffset(2025, 1, 6, 8, 0, 0, TimeSpan.Zero) };
        await using var db = App.CreateDb();
        var deliveries = times.Select((at, i) => new Delivery
        {
            WebhookId = "msg_" + Guid.NewGuid().ToString("N"),
            LeadId = leads[i],
            BrokerId = broker.Id,
            Trigger = DeliveryTrigger.Manual,
            Status = i == 3 ? DeliveryStatus.Rejected : DeliveryStatus.Delivered,
            Attempts = i == 1 ? 2 : 1,
            CreatedAt = at,
            NextAttemptAt = at,
            CompletedAt = at,
        }).ToList();
        db.Deliveries.AddRange(deliveries);
        await db.SaveChangesAsync(Ct);
        db.PushLogs.Add(new PushLog { DeliveryId = deliveries[1].Id, BrokerId = broker.Id, LeadId = leads[1], Attempt = 1, Status = DeliveryStatus.Pending, HttpStatus = 503, DurationMs = 40, At = times[1] });
        db.PushLogs.Add(new PushLog { DeliveryId = deliveries[1].Id, BrokerId = broker.Id, LeadId = leads[1], Attempt = 2, Status = DeliveryStatus.Delivered, HttpStatus = 200, DurationMs = 30, At = times[1] });
        await db.SaveChangesAsync(Ct);
        return (broker, deliveries.Select(d => d.Id).ToList());
    }
}

public sealed class BrokerComponentTests_Sqlite(SqliteApp app) : BrokerComponentTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class BrokerComponentTests_Postgres(PostgresApp app) : BrokerComponentTests<PostgresApp>(app);
