using System.Diagnostics;
using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using Microsoft.EntityFrameworkCore;
using Sylvan.Data.Csv;

namespace LeadRouter.Bench;

/// <summary>
/// <c>import</c>: end-to-end import (parse, normalise, de-duplicate, store) of a generated file through
/// <see cref="LeadImporter"/> into a fresh database, with rows/s and memory; <c>--baseline</c> adds the naive way
/// (one EF INSERT per row, each in its own transaction) on a smaller file, and the ratio.
/// </summary>
static class ImportLoad
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var db = args.String("db");
        var rows = args.Int("rows", 100_000);
        var repeat = args.Int("repeat", 1);
        var file = args.String("file") ?? await GeneratedAsync(rows, ct);

        Console.WriteLine($"import: {rows:N0} rows from {Path.GetFileName(file)} ({new FileInfo(file).Length / 1048576.0:N1} MB), {BenchArgs.Machine}");
        var runs = new List<Result>();
        for (var i = 0; i < repeat; i++)
        {
            runs.Add(await ImportAsync(db, file, args.String("default-region"), ct));
            Print("LeadImporter", runs[^1]);
        }

        var best = runs.MaxBy(r => r.RowsPerSecond)!;
        if (repeat > 1)
            Console.WriteLine($"LeadImporter best of {repeat}: {best.RowsPerSecond:N0} rows/s, median {runs.Select(r => r.RowsPerSecond).Order().ElementAt(repeat / 2):N0} rows/s, " +
                $"highest peak working set {PhaseWatch.Mb(runs.Max(r => r.PeakWorkingSet))}");

        if (args.Flag("baseline"))
        {
            var baselineRows = args.Int("baseline-rows", 10_000);
            var baselineFile = await GeneratedAsync(baselineRows, ct);
            var naive = await NaiveAsync(db, baselineFile, ct);
            Print($"Naive baseline ({baselineRows:N0} rows)", naive);
            Console.WriteLine($"Ratio: LeadImporter (best) is {best.RowsPerSecond / naive.RowsPerSecond:N1}x the naive baseline in rows/s " +
                $"({best.RowsPerCpuSecond / naive.RowsPerCpuSecond:N1}x in rows per CPU second).");
        }

        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"Process peak working set (whole run, incl. file generation): {PhaseWatch.Mb(process.PeakWorkingSet64)}; " +
            $"load average now {BenchArgs.LoadAverage}");
        return 0;
    }

    sealed record Result(string Database, int Rows, int Accepted, int Duplicates, int Rejected, PhaseWatch Watch)
    {
        public double RowsPerSecond => Rows / Watch.Elapsed.TotalSeconds;
        public double RowsPerCpuSecond => Rows / Watch.Cpu.TotalSeconds;
        public long PeakWorkingSet => Watch.PeakWorkingSet;
    }

    static void Print(string what, Result r) => Console.WriteLine(
        $"{what} on {r.Database}: {r.Rows:N0} rows ({r.Accepted:N0} accepted, {r.Duplicates:N0} duplicates, {r.Rejected:N0} rejected) " +
        $"in {r.Watch.Elapsed.TotalSeconds:N2} s = {r.RowsPerSecond:N0} rows/s (CPU {r.Watch.Cpu.TotalSeconds:N2} s); " +
        $"peak working set {PhaseWatch.Mb(r.PeakWorkingSet)}, peak GC heap {PhaseWatch.Mb(r.Watch.PeakHeap)}, " +
        $"allocated {PhaseWatch.Mb(r.Watch.Allocated)}, gen2 GCs {r.Watch.Gen2Collections}");

    /// <summary>The load file for <paramref name="rows"/> rows in the temp folder, generated once and reused (it is deterministic).</summary>
    static async Task<string> GeneratedAsync(int rows, CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lr_bench_leads_{rows}.csv");
        if (!File.Exists(path))
        {
            var started = Stopwatch.StartNew();
            var partial = path + ".part";
            await LeadFile.WriteAsync(partial, rows, ct);
            File.Move(partial, path, overwrite: true);
            Console.WriteLine($"Generated {path} in {started.Elapsed.TotalSeconds:N1} s");
        }

        return path;
    }

    static async Task<Result> ImportAsync(string? db, string file, string? defaultRegion, CancellationToken ct)
    {
        await using var bench = await BenchDatabase.CreateAsync(db, ct);
        var importer = bench.Get<LeadImporter>();
        var options = new ImportOptions { FileName = Path.GetFileName(file), SkipInvalid = true, ImportedBy = "bench", DefaultRegion = defaultRegion };
        GC.Collect();
        GC.WaitForPendingFinalizers();

        var watch = new PhaseWatch();
        ImportReport report;
        await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            report = await importer.ImportAsync(stream, options, progress: null, ct);
        await watch.DisposeAsync();

        await using var check = await bench.Dbs.CreateDbContextAsync(ct);
        var stored = await check.Leads.CountAsync(ct);
        if (stored != report.Accepted) throw new InvalidOperationException($"Report says {report.Accepted} accepted, the database holds {stored}.");
        return new(bench.Describe, report.Rows, report.Accepted, report.Duplicates, report.Rejected, watch);
    }

    /// <summary>
    /// The naive way: read the file, trim, lower-case the e-mail, skip repeats and malformed e-mails, then one
    /// <c>SaveChanges</c> per lead (EF runs each in its own transaction). Sources are cached like the real importer.
    /// </summary>
    static async Task<Result> NaiveAsync(string? db, string file, CancellationToken ct)
    {
        await using var bench = await BenchDatabase.CreateAsync(db, ct);
        GC.Collect();
        var watch = new PhaseWatch();

        await using var context = await bench.Dbs.CreateDbContextAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var import = new Import { FileName = Path.GetFileName(file), CreatedAt = now, ImportedBy = "bench" };
        context.Imports.Add(import);
        await context.SaveChangesAsync(ct);
        var sources = new Dictionary<string, long>();
        var seen = new HashSet<string>();
        int rows = 0, accepted = 0, duplicates = 0, rejected = 0;

        await using var csv = await CsvDataReader.CreateAsync(file, new CsvDataReaderOptions { HasHeaders = true });
        int name = csv.GetOrdinal("Full Name"), email = csv.GetOrdinal("E-mail Address"), phone = csv.GetOrdinal("Phone Number"),
            source = csv.GetOrdinal("Lead Source"), city = csv.GetOrdinal("City"), company = csv.GetOrdinal("Company");
        while (await csv.ReadAsync(ct))
        {
            rows++;
            var mail = csv.GetString(email).Trim().ToLowerInvariant();
            if (mail.Count(c => c == '@') != 1) { rejected++; continue; }
            if (!seen.Add(mail)) { duplicates++; continue; }
            long? sourceId = null;
            if (csv.GetString(source).Trim() is { Length: > 0 } s)
            {
                var key = Source.KeyOf(s);
                if (!sources.TryGetValue(key, out var id))
                {
                    var entity = new Source { Name = s, Key = key, CreatedAt = now };
                    context.Sources.Add(entity);
                    await context.SaveChangesAsync(ct);
                    sources[key] = id = entity.Id;
                }

                sourceId = id;
            }

            context.Leads.Add(new Lead
            {
                IdentityKey = "email:" + mail,
                Email = mail,
                Name = csv.GetString(name).Trim(),
                Phone = csv.GetString(phone).Trim(),
                City = csv.GetString(city).Trim(),
                Company = csv.GetString(company).Trim(),
                SourceId = sourceId,
                ImportId = import.Id,
                CreatedAt = now,
            });
            await context.SaveChangesAsync(ct);
            context.ChangeTracker.Clear();
            accepted++;
        }

        await watch.DisposeAsync();
        return new(bench.Describe, rows, accepted, duplicates, rejected, watch);
    }
}
