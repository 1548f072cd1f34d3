using System.Diagnostics;

namespace LeadRouter.Bench;

/// <summary>
/// Samples the process working set and GC heap every 50 ms while a measurement runs, so the peak of that phase
/// is reported (the process-wide <see cref="Process.PeakWorkingSet64"/> also counts earlier phases).
/// </summary>
sealed class MemoryWatch : IAsyncDisposable
{
    readonly CancellationTokenSource stop = new();
    readonly Task sampler;
    readonly long allocatedAtStart = GC.GetTotalAllocatedBytes(precise: false);
    readonly int gen2AtStart = GC.CollectionCount(2);

    public long PeakWorkingSet { get; private set; }
    public long PeakHeap { get; private set; }
    public long Allocated { get; private set; }
    public int Gen2Collections { get; private set; }

    public MemoryWatch() => sampler = Task.Run(SampleAsync);

    async Task SampleAsync()
    {
        using var process = Process.GetCurrentProcess();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            do
            {
                process.Refresh();
                PeakWorkingSet = Math.Max(PeakWorkingSet, process.WorkingSet64);
                PeakHeap = Math.Max(PeakHeap, GC.GetTotalMemory(forceFullCollection: false));
            }
            while (await timer.WaitForNextTickAsync(stop.Token));
        }
        catch (OperationCanceledException)
        {
            // Stopped by DisposeAsync.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await sampler;
        using var process = Process.GetCurrentProcess();
        PeakWorkingSet = Math.Max(PeakWorkingSet, process.WorkingSet64);
        Allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedAtStart;
        Gen2Collections = GC.CollectionCount(2) - gen2AtStart;
        stop.Dispose();
    }

    public static string Mb(long bytes) => $"{bytes / 1048576.0:N0} MB";
}
