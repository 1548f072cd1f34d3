using System.CommandLine;

namespace LeadRouter.Cli;

/// <summary>Options every command takes (System.CommandLine recursive options).</summary>
static class Globals
{
    public static readonly Option<string?> Db = new("--db")
    {
        Description = "Database: a SQLite file path (default ./leadrouter.db), a 'Host=…' connection string or a postgres:// URL. Env: LEADROUTER_DB.",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print exactly one JSON object on stdout (also on failure); messages go to stderr.",
        Recursive = true,
    };

    public static readonly Option<string> Verbosity = new("--verbosity", "-v")
    {
        Description = "Log detail on stderr: quiet, minimal, normal, detailed, diagnostic.",
        DefaultValueFactory = _ => "minimal",
        Recursive = true,
    };

    static Globals() => Verbosity.AcceptOnlyFromAmong("quiet", "q", "minimal", "m", "normal", "n", "detailed", "d", "diagnostic", "diag");
}
