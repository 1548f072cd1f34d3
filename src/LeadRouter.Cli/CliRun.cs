using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadRouter.Data;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Web.Features.Platform;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace LeadRouter.Cli;

/// <summary>What a command produced: its exit code, the JSON object for <c>--json</c>, and the rich rendering.</summary>
sealed record CliResult(int ExitCode, object Json, Action<IAnsiConsole> Render)
{
    public static CliResult Ok(object json, Action<IAnsiConsole> render) => new(0, json, render);
}

/// <summary>
/// Runs a command's action: builds the services, migrates, calls the feature code and prints. With <c>--json</c>
/// exactly one JSON object goes to stdout (also on failure) and everything else to stderr.
/// Exit codes: 0 success, 2 bad input, 1 other failure.
/// </summary>
static class CliRun
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Rich output: stdout normally, stderr under <c>--json</c>.</summary>
    public static IAnsiConsole Console(ParseResult p) => p.GetValue(Globals.Json)
        ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) })
        : AnsiConsole.Console;

    public static async Task<int> Run(ParseResult p, CancellationToken ct, Func<IServiceProvider, IAnsiConsole, Task<CliResult>> action, string? db = null)
    {
        var json = p.GetValue(Globals.Json);
        var console = Console(p);
        try
        {
            using var host = CliHost.Build(db ?? p.GetValue(Globals.Db), p.GetValue(Globals.Verbosity)!);
            await host.Services.MigrateAsync(ct);
            var result = await action(host.Services, console);
            if (json) WriteJson(result.Json);
            else result.Render(console);
            return result.ExitCode;
        }
        catch (InputException e)
        {
            return Fail(json, console, 2, e.Message, e.Errors.SelectMany(kv => kv.Value.Select(m => new { field = kv.Key, message = m })));
        }
        catch (ImportInputException e)
        {
            return Fail(json, console, 2, e.Message, [new { field = "file", message = e.Message }]);
        }
        catch (ArgumentException e) when (e.Message.Contains("postgres://", StringComparison.Ordinal))
        {
            return Fail(json, console, 2, e.Message, []);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Fail(json, console, 1, "Cancelled.", []);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var message = e.GetBaseException().Message;
            if (p.GetValue(Globals.Verbosity) is "diagnostic" or "diag" or "detailed" or "d") System.Console.Error.WriteLine(e);
            return Fail(json, console, 1, message, []);
        }
    }

    /// <summary>Prints a failure: JSON <c>{"error", "errors"}</c> or a red line on stderr.</summary>
    public static int Fail(bool json, IAnsiConsole console, int code, string message, IEnumerable<object> errors)
    {
        if (json) WriteJson(new { error = message, errors = errors.ToList() });
        else AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) })
            .MarkupLineInterpolated($"[red]error:[/] {message}");
        _ = console;
        return code;
    }

    public static void WriteJson(object value) => System.Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>Formats a UTC time in the display time zone.</summary>
    public static string Show(DateTimeOffset? utc, TimeZoneInfo zone) =>
        utc is { } t ? TimeZoneInfo.ConvertTime(t, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture) : "—";
}
