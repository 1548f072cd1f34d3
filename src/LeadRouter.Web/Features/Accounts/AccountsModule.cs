using System.Security.Claims;
using LeadRouter.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Accounts;

/// <summary>Identity, cookie and bearer-token sign-in, roles and policies; the login routes under <c>/api/v1/auth</c>.</summary>
public static class AccountsModule
{
    /// <summary>Identity stores and <see cref="UserAccounts"/> (used by the CLI as well).</summary>
    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddIdentityCore<IdentityUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<LeadRouterDb>();
        builder.Services.AddDataProtection().PersistKeysToDbContext<LeadRouterDb>().SetApplicationName("LeadRouter");
        builder.Services.AddScoped<UserAccounts>();
        return builder;
    }

    /// <summary>Web sign-in: bearer tokens and cookies (Identity API endpoints), 401 instead of redirects for the API.</summary>
    public static IHostApplicationBuilder AddAccountsWeb(this IHostApplicationBuilder builder)
    {
        builder.Services.AddIdentityApiEndpoints<IdentityUser>().AddRoles<IdentityRole>().AddEntityFrameworkStores<LeadRouterDb>();
        // Browser pages challenge with the cookie (redirect to /login); /api keeps bearer challenges and 401/403.
        builder.Services.PostConfigure<AuthenticationSchemeOptions>(BearerAndApplicationScheme, o =>
            o.ForwardDefaultSelector = ctx => IsApi(ctx.Request) ? IdentityConstants.BearerScheme : IdentityConstants.ApplicationScheme);
        builder.Services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/login";
            o.AccessDeniedPath = "/access-denied";
            o.Events.OnRedirectToLogin = ctx => Answer(ctx, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = ctx => Answer(ctx, StatusCodes.Status403Forbidden);
        });
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Roles.AdminPolicy, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Roles.StaffPolicy, p => p.RequireRole(Roles.Admin, Roles.Agent));
        return builder;
    }

    /// <summary>The name of the bearer-or-cookie scheme that <c>AddIdentityApiEndpoints</c> makes the default.</summary>
    const string BearerAndApplicationScheme = "Identity.BearerAndApplication";

    static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api");

    /// <summary>A browser asking for a page (not the API, not a script): gets redirects instead of 401/403.</summary>
    static bool IsPageRequest(HttpRequest request) =>
        !IsApi(request) && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>A page request is redirected (to the login or access-denied page); every other caller gets the status code.</summary>
    static Task Answer(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (IsPageRequest(ctx.Request)) ctx.Response.Redirect(ctx.RedirectUri);
        else ctx.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    /// <summary>
    /// <c>POST /api/v1/auth/login</c> (bearer token; <c>?useCookies=true</c> for a cookie), refresh, and
    /// <c>GET /api/v1/auth/me</c>. Self-registration is closed: admins create users.
    /// </summary>
    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/v1/auth").WithTags("Accounts");
        // Only login and refresh are offered (anonymous); the other Identity routes answer 404.
        auth.MapIdentityApi<IdentityUser>().AllowAnonymous().AddEndpointFilter(async (ctx, next) =>
            ctx.HttpContext.Request.Path.Value is { } p && (p.EndsWith("/login") || p.EndsWith("/refresh"))
                ? await next(ctx) : TypedResults.NotFound());
        auth.MapGet("/me", (ClaimsPrincipal user) => TypedResults.Ok(new
        {
            email = user.FindFirstValue(ClaimTypes.Email) ?? user.Identity?.Name,
            roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray(),
        }));
        var users = app.MapGroup("/api/v1/users").WithTags("Accounts").RequireAuthorization(Roles.AdminPolicy);
        users.MapGet("/", (UserAccounts accounts, CancellationToken ct) => accounts.ListAsync(ct));
        users.MapPost("/", async (NewUser body, UserAccounts accounts, CancellationToken ct) =>
            TypedResults.Created($"/api/v1/users", await accounts.AddAsync(body.Email, body.Password, body.Role, ct)));
        return app;
    }

    /// <summary>A login to create.</summary>
    public sealed record NewUser(string Email, string Password, string Role);
}
