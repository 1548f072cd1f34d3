using System.Text.Json;

namespace LeadRouter.Cli.Tests;

/// <summary>What one CLI invocation printed and returned.</summary>
public sealed record CliOutcome(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The single JSON object printed on stdout under <c>--json</c>.</summary>
    public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;
}

/// <summary>
/// Runs <c>leadrouter</c> in-process against its own SQLite file, capturing stdout and stderr. Console redirection is
/// process-wide, so every CLI test class is in one non-parallel collection.
/// </summary>
public sealed class CliRunner : IDisposable
{
    static readonly SemaphoreSlim Gate = new(1, 1);
    readonly string dir = Directory.CreateTempSubdirectory("lr_cli_").FullName;

    public string Db => Path.Combine(dir, "cli.db");

    public string File(string name, string content)
    {
        var path = Path.Combine(dir, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public async Task<CliOutcome> RunAsync(params string[] args)
    {
        var withDb = args.Contains("--db") ? args : [.. args, "--db", Db];
        await Gate.WaitAsync(TestContext.Current.CancellationToken);
        var (stdout, stderr) = (Console.Out, Console.Error);
        try
        {
            using var o = new StringWriter();
            using var e = new StringWriter();
            Console.SetOut(o);
            Console.SetError(e);
            var code = await CliEntry.InvokeAsync(CliApp.CreateRoot(), withDb);
            return new CliOutcome(code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Gate.Release();
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }
}
