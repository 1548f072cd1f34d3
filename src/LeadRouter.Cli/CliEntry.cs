using System.CommandLine;

namespace LeadRouter.Cli;

/// <summary>Parses and invokes; a usage error is exit code 2 (with <c>--json</c>, a JSON object naming the errors).</summary>
static class CliEntry
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var messages = parse.Errors.Select(e => e.Message).ToList();
            if (parse.GetValue(Globals.Json) || args.Contains("--json"))
                CliRun.WriteJson(new { error = "usage", errors = messages.Select(m => new { field = "usage", message = m }) });
            else
            {
                foreach (var m in messages) Console.Error.WriteLine(m);
                Console.Error.WriteLine("Run 'leadrouter --help' for usage.");
            }

            return 2;
        }

        return await parse.InvokeAsync();
    }
}
