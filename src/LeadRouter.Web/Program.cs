using LeadRouter.Web;

var app = LeadRouterWebApp.Build(new WebApplicationOptions { Args = args });
await app.MigrateAndRunAsync(app.Lifetime.ApplicationStopping);

/// <summary>The web host's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
