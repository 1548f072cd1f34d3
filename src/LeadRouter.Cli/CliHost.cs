using LeadRouter.Web.Features.Platform;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LeadRouter.Cli;

/// <summary>The services a command uses: the same registrations as the web host, without the web parts.</summary>
static class CliHost
{
    /// <summary>Builds the service host for <paramref name="db"/> (null: <c>LEADROUTER_DB</c>, else ./leadrouter.db).</summary>
    public static IHost Build(string? db, string verbosity)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = "leadrouter",
        });
        if (db is not null) builder.Configuration["Db"] = db;
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LevelOf(verbosity));
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", verbosity.StartsWith("diag") ? LogLevel.Information : LogLevel.Warning);
        builder.AddLeadRouterCore();
        return builder.Build();
    }

    /// <summary>Maps <c>--verbosity</c> to a log level.</summary>
    public static LogLevel LevelOf(string verbosity) => verbosity switch
    {
        "quiet" or "q" => LogLevel.None,
        "minimal" or "m" => LogLevel.Warning,
        "normal" or "n" => LogLevel.Information,
        "detailed" or "d" => LogLevel.Debug,
        _ => LogLevel.Trace,
    };
}
