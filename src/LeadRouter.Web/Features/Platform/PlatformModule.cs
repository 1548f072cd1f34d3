using System.Text.Json.Serialization;
using LeadRouter.Data;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Leads;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Features.Notifications;
using LeadRouter.Web.Features.Replenishment;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;

namespace LeadRouter.Web.Features.Platform;

/// <summary>Options of display, section <c>Display</c>.</summary>
public sealed class DisplayOptions
{
    public const string Section = "Display";
    /// <summary>IANA time zone used only when showing times (stored times are UTC), e.g. Asia/Kolkata as in seed 000.</summary>
    public string TimeZone { get; set; } = "UTC";
}

/// <summary>What every LeadRouter host shares: database, clock, areas' services; and the web-only plumbing.</summary>
public static class PlatformModule
{
    /// <summary>Database (from <c>Db</c> / <c>LEADROUTER_DB</c>), clock and every area's services. Used by Web and CLI.</summary>
    public static IHostApplicationBuilder AddLeadRouterCore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddLeadRouterData();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<DisplayOptions>().BindConfiguration(DisplayOptions.Section);
        builder.Services.AddSingleton<RunProgress>();
        builder.AddAccounts();
        builder.AddLeads();
        builder.AddAgents();
        builder.AddMembers();
        builder.AddNotifications();
        builder.AddReplenishment();
        builder.AddBrokers();
        return builder;
    }

    /// <summary>Problem details, JSON enums as strings, OpenAPI and health checks.</summary>
    public static IHostApplicationBuilder AddWebPlatform(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemMapping>();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddOpenApi();
        builder.Services.AddHealthChecks();
        builder.AddRateLimits();
        return builder;
    }

    /// <summary><c>/health</c>, <c>/openapi/v1.json</c> and the Scalar UI at <c>/scalar</c>, all anonymous.</summary>
    public static WebApplication MapPlatform(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthJson.WriteAsync }).AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference().AllowAnonymous();
        return app;
    }

    /// <summary>Applies pending migrations and makes sure the roles exist.</summary>
    public static async Task MigrateAsync(this IServiceProvider services, CancellationToken ct)
    {
        await DatabaseMigrator.MigrateAsync(services.GetRequiredService<DatabaseTarget>(), services.GetRequiredService<ILoggerFactory>(), ct);
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<UserAccounts>().EnsureRolesAsync(ct);
    }
}
