using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Leads;
using LeadRouter.Web.Features.Platform;

var builder = WebApplication.CreateBuilder(args);

// Database, clock and every area's services (shared with the CLI).
builder.AddLeadRouterCore();
// Problem details, OpenAPI, health; sign-in with cookies and bearer tokens.
builder.AddWebPlatform();
builder.AddAccountsWeb();
// Background work.
builder.AddAgentsBackground();

var app = builder.Build();
await app.Services.MigrateAsync(app.Lifetime.ApplicationStopping);

app.MapPlatform();
app.MapAccounts();
app.MapLeads();
app.MapAgents();
app.MapSeedCompatibility();

await app.RunAsync();

/// <summary>The web host's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
