using System.CommandLine;
using LeadRouter.Web;
using Microsoft.AspNetCore.Builder;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter serve</c>: the REST API, OpenAPI document, Scalar UI and the background loop.</summary>
static class ServeCommand
{
    public static readonly Option<string> Urls = new("--urls")
    {
        Description = "Addresses to listen on, ';'-separated",
        DefaultValueFactory = _ => "http://127.0.0.1:5080",
    };

    public static Command Create()
    {
        var cmd = new Command("serve", "Serve the REST API (with /health, /openapi/v1.json, /scalar) until Ctrl+C") { Urls };
        cmd.SetAction(async (p, ct) =>
        {
            await ServeAsync(p.GetValue(Globals.Db), p.GetValue(Urls)!, ct);
            return 0;
        });
        return cmd;
    }

    /// <summary>Runs the web host with the CLI's database; content is found next to the application.</summary>
    public static async Task ServeAsync(string? db, string urls, CancellationToken ct)
    {
        var app = LeadRouterWebApp.Build(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory }, b =>
        {
            if (db is not null) b.Configuration["Db"] = db;
            b.Configuration["urls"] = urls;
        });
        await using var _ = ct.Register(() => app.Lifetime.StopApplication());
        await app.MigrateAndRunAsync(ct);
    }
}
