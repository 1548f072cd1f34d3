namespace LeadRouter.Bench;

/// <summary>A usage mistake on the bench command line (exit code 2).</summary>
sealed class BenchArgsException(string message) : Exception(message);

/// <summary>The options of a load mode: <c>--name value</c> pairs and bare <c>--flag</c>s.</summary>
sealed class BenchArgs
{
    readonly Dictionary<string, string?> values = new(StringComparer.OrdinalIgnoreCase);

    public BenchArgs(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--", StringComparison.Ordinal)) throw new BenchArgsException($"Unexpected argument '{list[i]}'.");
            var hasValue = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal);
            values[list[i][2..]] = hasValue ? list[++i] : null;
        }
    }

    public string? String(string name) => values.GetValueOrDefault(name);

    public bool Flag(string name) => values.ContainsKey(name);

    public int Int(string name, int fallback) => values.GetValueOrDefault(name) is { } v
        ? int.TryParse(v.Replace("_", "").Replace(",", ""), out var n) && n > 0 ? n : throw new BenchArgsException($"--{name} needs a positive number, not '{v}'.")
        : fallback;

    /// <summary>Cores, runtime and the load average when the run started (the machine may be shared).</summary>
    public static string Machine => $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage}";

    /// <summary>The 1, 5 and 15 minute load averages (Linux), or n/a.</summary>
    public static string LoadAverage =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    public static string Positional(string[] args, int index, string what) =>
        args.Length > index ? args[index] : throw new BenchArgsException($"Missing {what}.");

    public static int Usage()
    {
        Console.Error.WriteLine("""
            Usage: LeadRouter.Bench <mode> ...
              sample OUT.csv                              the bundled sample file (2,400 rows, fixed seed)
              gen N OUT.csv                               a synthetic load file of N rows, streamed to disk
              import [--db DB] [--rows N] [--file F.csv] [--repeat K] [--default-region R]
                     [--baseline] [--baseline-rows M]
                                                          end-to-end import through LeadImporter into a fresh database
              assign [--db DB] [--leads N] [--agents K] [--profile]
                                                          backlog assignment through LeadAssigner
              replenish [--db DB] [--reserve N] [--release K] [--warm] [--profile]
                                                          one replenishment run releasing K of N reserve leads
              intake [--db DB] [--requests N] [--concurrency C] [--warmup W]
                                                          single-lead POST /api/v1/leads over loopback: baseline and routed
              dispatch [--db DB] [--deliveries N]         N due deliveries pushed to a local receiver until all are delivered
              members [--db DB] [--leads N] [--members M] [--profile]
                                                          one distribution run of an N-lead member import to M members
              downloads [--db DB] [--leads N] [--concurrency C] [--requests R] [--warmup W] [--client-process]
                                                          concurrent member file downloads over HTTP against GET /health
                                                          (--client-process: the client in a second OS process)
              report [--db DB] [--leads N] [--postbacks P] [--repeat K] [--keep | --existing DB]
                                                          broker performance report over N routed leads and P postbacks
              micro [BenchmarkDotNet args]                micro benchmarks (e.g. micro --filter '*')
            DB: omitted or a file path = a fresh SQLite temp file; 'Host=…' = a fresh PostgreSQL database on that server.
            """);
        return 2;
    }
}
