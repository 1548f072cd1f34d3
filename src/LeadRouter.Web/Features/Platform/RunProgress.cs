using System.Collections.Concurrent;

namespace LeadRouter.Web.Features.Platform;

/// <summary>What kind of long work a <see cref="WorkProgress"/> is about.</summary>
public enum WorkKind
{
    /// <summary>Assigning one source's leads to its agents (<c>Key</c> = <c>source:{id}</c>).</summary>
    Assignment,
    /// <summary>A member distribution run (<c>Key</c> = <c>import:{id}</c> for a manual run, <c>run:{id}</c> for a scheduled one).</summary>
    Distribution,
}

/// <summary>
/// Where one piece of long work stands: its <paramref name="Key"/> (what it works on), a <paramref name="Title"/>, the
/// current <paramref name="Stage"/>, items <paramref name="Done"/> of <paramref name="Total"/> in that stage (0 of 0 when the
/// stage is not counted), and whether it has <paramref name="Finished"/> (completed or failed).
/// </summary>
public sealed record WorkProgress(string Key, WorkKind Kind, string Title, string Stage, long Done, long Total, bool Finished, DateTimeOffset At)
{
    /// <summary>Percent of the current stage done, or null when the stage is not counted.</summary>
    public double? Percent => Total > 0 ? Math.Round(100.0 * Done / Total, 1) : null;
}

/// <summary>
/// The progress source of this node: long runs (assignments, distributions) report their stages here as they go, and
/// the dashboard's interactive pages listen to <see cref="Changed"/> to show it without a reload. Only work running on
/// this node is seen; it is a view, never a decision (the runs' own rows in the database stay the record).
/// </summary>
public sealed class RunProgress(TimeProvider clock)
{
    readonly ConcurrentDictionary<string, WorkProgress> running = new(StringComparer.Ordinal);

    /// <summary>
    /// Raised after every report, on the reporting thread (listeners marshal to their own context). A listener whose
    /// page went away meanwhile (disposed) is skipped: showing progress must not fail the run that reports it.
    /// </summary>
    public event Action<WorkProgress>? Changed;

    /// <summary>Work in progress now, oldest report first.</summary>
    public IReadOnlyList<WorkProgress> Running => running.Values.OrderBy(p => p.At).ToList();

    /// <summary>The work in progress on <paramref name="key"/>, or null.</summary>
    public WorkProgress? Get(string key) => running.GetValueOrDefault(key);

    /// <summary>Reports a stage of the work on <paramref name="key"/>.</summary>
    public void Report(string key, WorkKind kind, string title, string stage, long done = 0, long total = 0) =>
        Publish(new WorkProgress(key, kind, title, stage, done, total, false, clock.GetUtcNow()));

    /// <summary>Reports that the work on <paramref name="key"/> has ended with <paramref name="stage"/> (e.g. "Completed").</summary>
    public void Finish(string key, WorkKind kind, string title, string stage) =>
        Publish(new WorkProgress(key, kind, title, stage, 0, 0, true, clock.GetUtcNow()));

    void Publish(WorkProgress progress)
    {
        if (progress.Finished) running.TryRemove(progress.Key, out _);
        else running[progress.Key] = progress;
        if (Changed is not { } listeners) return;
        foreach (var listener in listeners.GetInvocationList().Cast<Action<WorkProgress>>())
        {
            try { listener(progress); }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                // A page that went away between the report and its update: nothing to show there.
            }
        }
    }
}
