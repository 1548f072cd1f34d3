using BenchmarkDotNet.Running;
using LeadRouter.Bench;

// LeadRouter benchmarks: sample and load files, end-to-end load runs, and BenchmarkDotNet micro benchmarks.
// Usage is printed by BenchArgs when a mode is missing or unknown.
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

try
{
    return args.FirstOrDefault() switch
    {
        "sample" => await LeadFile.WriteSampleAsync(BenchArgs.Positional(args, 1, "OUT.csv"), cts.Token),
        "gen" => await LeadFile.WriteLoadFileAsync(int.Parse(BenchArgs.Positional(args, 1, "N")), BenchArgs.Positional(args, 2, "OUT.csv"), cts.Token),
        "import" => await ImportLoad.RunAsync(new BenchArgs(args.Skip(1)), cts.Token),
        "assign" => await AssignLoad.RunAsync(new BenchArgs(args.Skip(1)), cts.Token),
        "replenish" => await ReplenishLoad.RunAsync(new BenchArgs(args.Skip(1)), cts.Token),
        "intake" => await IntakeLoad.RunAsync(new BenchArgs(args.Skip(1)), cts.Token),
        "dispatch" => await DispatchLoad.RunAsync(new BenchArgs(args.Skip(1)), cts.Token),
        "members" => await MembersLoad.RunAsync(new BenchArgs(args.Skip(1)), cts.Token),
        "downloads" => await DownloadsLoad.RunAsync(new BenchArgs(args.Skip(1)), cts.Token),
        DownloadsLoad.ClientMode => await DownloadsLoad.RunClientAsync(new BenchArgs(args.Skip(1)), cts.Token),
        "report" => await ReportLoad.RunAsync(new BenchArgs(args.Skip(1)), cts.Token),
        "micro" => RunMicro(args.Skip(1).ToArray()),
        _ => BenchArgs.Usage(),
    };
}
catch (BenchArgsException e)
{
    Console.Error.WriteLine(e.Message);
    return BenchArgs.Usage();
}

static int RunMicro(string[] rest)
{
    BenchmarkSwitcher.FromAssembly(typeof(LeadFile).Assembly).Run(rest, MicroConfig.Create());
    return 0;
}
