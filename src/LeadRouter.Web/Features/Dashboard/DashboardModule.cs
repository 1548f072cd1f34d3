using System.Security.Claims;
using LeadRouter.Web.Features.Accounts;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using MudBlazor.Services;

namespace LeadRouter.Web.Features.Dashboard;

/// <summary>The web dashboard: Blazor components (static rendering, interactive server where pages need it) and MudBlazor.</summary>
public static class DashboardModule
{
    /// <summary>Razor components, interactive server circuits, MudBlazor and the display clock.</summary>
    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddMudServices();
        builder.Services.AddScoped<DisplayClock>();
        // Run from a build (not a publish) outside Development, e.g. `dotnet run --project src/LeadRouter.Cli -- serve`:
        // serve the assets from where the build's runtime manifest says they are.
        var runtimeManifest = Path.Combine(AppContext.BaseDirectory, $"{builder.Environment.ApplicationName}.staticwebassets.runtime.json");
        if (!builder.Environment.IsDevelopment() && File.Exists(runtimeManifest) && builder is WebApplicationBuilder web)
            web.WebHost.UseStaticWebAssets();
        return builder;
    }

    /// <summary>Anti-forgery, static assets (anonymous: the login page needs them), the pages and <c>POST /logout</c>.</summary>
    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapPost("/logout", async (SignInManager<IdentityUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/login");
        }).WithMetadata(new RequireAntiforgeryTokenAttribute()).ExcludeFromDescription();
        return app;
    }

    /// <summary>The page a user lands on after signing in, by role.</summary>
    public static string HomeOf(ClaimsPrincipal user) =>
        user.IsInRole(Roles.Admin) ? "/admin"
        : user.IsInRole(Roles.Agent) ? "/agent/leads"
        : user.IsInRole(Roles.Member) ? "/member/files"
        : "/access-denied";
}
