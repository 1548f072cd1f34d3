using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace LeadRouter.Bench;

/// <summary>
/// A short job (3 warm-ups, 3 measured iterations) run in this process, so no separate benchmark project is built
/// on a shared 2-core machine; memory diagnoser on. Pass <c>--job</c> etc. to the micro mode to override.
/// </summary>
static class MicroConfig
{
    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);
}
