using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Leads;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Features.Notifications;
using LeadRouter.Web.Features.Platform;
using LeadRouter.Web.Features.Replenishment;

namespace LeadRouter.Web;

/// <summary>The web host as a table of contents: used by <c>Program</c> and by <c>leadrouter serve</c> / <c>demo</c>.</summary>
public static class LeadRouterWebApp
{
    /// <summary>Builds the app; <paramref name="configure"/> may add configuration (e.g. the CLI's <c>--db</c>).</summary>
    public static WebApplication Build(WebApplicationOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(options);
        configure?.Invoke(builder);

        // Database, clock and every area's services (shared with the CLI).
        builder.AddLeadRouterCore();
        // Problem details, OpenAPI, health; sign-in with cookies and bearer tokens.
        builder.AddWebPlatform();
        builder.AddAccountsWeb();
        // Background work.
        builder.AddAgentsBackground();
        builder.AddReplenishmentBackground();
        builder.AddNotificationsBackground();
        builder.AddMembersScheduler();

        var app = builder.Build();
        app.MapPlatform();
        app.MapAccounts();
        app.MapLeads();
        app.MapAgents();
        app.MapMembers();
        app.MapBrokers();
        app.MapSeedCompatibility();
        app.MapReplenishment();
        return app;
    }

    /// <summary>Applies migrations, then serves until the host stops.</summary>
    public static async Task MigrateAndRunAsync(this WebApplication app, CancellationToken ct)
    {
        await app.Services.MigrateAsync(ct);
        await app.RunAsync();
    }
}
