using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Dashboard;
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
        // The dashboard's static assets are listed in manifests named after this assembly, also when the CLI hosts it.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = options.Args,
            ContentRootPath = options.ContentRootPath,
            EnvironmentName = options.EnvironmentName,
            WebRootPath = options.WebRootPath,
            ApplicationName = options.ApplicationName ?? typeof(LeadRouterWebApp).Assembly.GetName().Name,
        });
        // Every SQL command at Information would drown the console of a running server.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Warning);
        configure?.Invoke(builder);

        // Database, clock and every area's services (shared with the CLI).
        builder.AddLeadRouterCore();
        // Problem details, OpenAPI, health; sign-in with cookies and bearer tokens.
        builder.AddWebPlatform();
        builder.AddAccountsWeb();
        // The web dashboard (Blazor + MudBlazor) on the same services.
        builder.AddDashboard();
        // Background work.
        builder.AddAgentsBackground();
        builder.AddReplenishmentBackground();
        builder.AddBrokersBackground();
        builder.AddNotificationsBackground();
        builder.AddMembersScheduler();

        var app = builder.Build();
        app.MapPlatform();
        app.MapDashboard();
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
