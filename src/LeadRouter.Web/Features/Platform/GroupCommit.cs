using System.Threading.Channels;

namespace LeadRouter.Web.Features.Platform;

/// <summary>
/// Thrown by a group commit's write when the group's items must not be written again: the group may already be stored
/// (its commit was sent and its outcome is unknown, or it committed and only the answers failed). Every item of the group
/// then fails with <see cref="Exception.InnerException"/>, instead of being written again one by one.
/// </summary>
internal sealed class GroupMayBeWrittenException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Group commit: callers queue items and wait; one writer loop per instance takes every item waiting at that moment
/// (up to <c>maxWeight</c>) and hands them to <c>write</c> as one group, which stores them in ONE transaction and
/// returns one result per item, in order. Each caller is answered only after its group is committed, so many concurrent
/// callers cost one transaction, not one each.
/// <list type="bullet">
/// <item>Gathering: take what is queued, let the thread pool run what is already waiting (callers on their way) and
/// take again, until a round adds nothing; if the group is still smaller than the previous one, wait up to
/// <see cref="MaxLingerMs"/> for the previous group's callers to come back.</item>
/// <item>An item whose caller gave up (<see cref="SubmitAsync"/>'s token) before it was taken is dropped, not written;
/// once taken, it is written and only the waiting stops.</item>
/// <item>If the write of a group of several items throws, each item is written alone, so one bad item cannot fail the
/// others; a <see cref="GroupMayBeWrittenException"/> fails the whole group instead (writing again could store twice).</item>
/// <item><see cref="DisposeAsync"/> stops taking items and waits until every queued item is written or failed.</item>
/// </list>
/// Retries of transient database errors belong in <c>write</c>, which knows what is safe to repeat.
/// </summary>
/// <typeparam name="TItem">What a caller queues.</typeparam>
/// <typeparam name="TResult">What a caller gets back once its item is committed.</typeparam>
internal sealed class GroupCommit<TItem, TResult> : IAsyncDisposable
{
    /// <summary>Most rounds of gathering queued items before a group is written.</summary>
    const int MaxGatherRounds = 8;

    /// <summary>Longest wait for the callers of the previous group before a smaller one is written, in milliseconds.</summary>
    public const int MaxLingerMs = 2;

    readonly Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> write;
    readonly Func<TItem, int> weight;
    readonly int maxWeight;
    readonly string what;
    readonly ILogger log;
    readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    readonly Lock gate = new();
    Task? loop;
    long groups, committedItems;

    /// <param name="write">Stores one group in one transaction and returns one result per item, in order; throws when
    /// nothing of the group was stored, or <see cref="GroupMayBeWrittenException"/> when it may have been.</param>
    /// <param name="weight">An item's weight (e.g. its rows); a group stops taking items once their weights reach
    /// <paramref name="maxWeight"/> (a heavier item is written alone).</param>
    /// <param name="maxWeight">The most weight one group takes, 1 or more.</param>
    /// <param name="what">What the items are, for log messages (e.g. "Intake", "Download count").</param>
    /// <param name="log">Where failed groups are logged.</param>
    public GroupCommit(Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> write, Func<TItem, int> weight, int maxWeight, string what, ILogger log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWeight, 1);
        (this.write, this.weight, this.maxWeight, this.what, this.log) = (write, weight, maxWeight, what, log);
    }

    /// <summary>Groups committed and items they answered so far (items ÷ groups = the average group size).</summary>
    public (long Groups, long Items) Committed => (Interlocked.Read(ref groups), Interlocked.Read(ref committedItems));

    sealed class Pending(TItem item, CancellationToken aborted)
    {
        public TItem Item { get; } = item;
        public CancellationToken Aborted { get; } = aborted;
        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Queues <paramref name="item"/> and waits until its group is committed. <paramref name="ct"/> only stops the
    /// waiting once the item is taken: an item already being written is still written.
    /// </summary>
    /// <returns>The item's result from <c>write</c>; faults with what <c>write</c> threw for it.</returns>
    /// <exception cref="ObjectDisposedException">This instance is disposed (shutting down).</exception>
    public Task<TResult> SubmitAsync(TItem item, CancellationToken ct)
    {
        var pending = new Pending(item, ct);
        lock (gate) loop ??= Task.Run(RunAsync, CancellationToken.None);
        if (!queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(GetType().Name, $"{what}: the group commit is shut down.");
        return pending.Done.Task.WaitAsync(ct);
    }

    async Task RunAsync()
    {
        var batch = new List<Pending>();
        var lastBatch = 0;
        while (await queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            var load = 0;
            // Gather: take what is queued, then let the thread pool run what is already waiting (requests being handled
            // right now) and take again, until a round adds nothing.
            for (var round = 0; round < MaxGatherRounds && load < maxWeight; round++)
            {
                var before = batch.Count;
                TakeQueued(batch, ref load);
                if (batch.Count == before && round > 0) break;
                await Task.Yield();
            }
            // Still fewer items than the last group took: its callers are probably on their way back; give them up to
            // MaxLingerMs (a few concurrent callers then share one group instead of alternating 1, n-1, 1…).
            if (batch.Count > 0 && batch.Count < lastBatch && load < maxWeight)
            {
                using var linger = new CancellationTokenSource(TimeSpan.FromMilliseconds(MaxLingerMs));
                try
                {
                    while (batch.Count < lastBatch && load < maxWeight && await queue.Reader.WaitToReadAsync(linger.Token))
                        TakeQueued(batch, ref load);
                }
                catch (OperationCanceledException) when (linger.IsCancellationRequested)
                {
                    // Lingered long enough.
                }
            }
            if (batch.Count == 0) continue;
            lastBatch = batch.Count;
            try
            {
                await WriteAsync(batch);
            }
            catch (Exception e)
            {
                // WriteAsync answers every item itself; this is a last resort so the loop never dies.
                log.LogError(e, "{What} group of {Items} items failed", what, batch.Count);
                foreach (var p in batch) p.Done.TrySetException(e);
            }
        }
    }

    /// <summary>Moves queued items into <paramref name="batch"/> until it weighs <c>maxWeight</c>; drops abandoned ones.</summary>
    void TakeQueued(List<Pending> batch, ref int load)
    {
        while (load < maxWeight && queue.Reader.TryRead(out var pending))
        {
            if (pending.Aborted.IsCancellationRequested) { pending.Done.TrySetCanceled(pending.Aborted); continue; }
            batch.Add(pending);
            load += weight(pending.Item);
        }
    }

    async Task WriteAsync(IReadOnlyList<Pending> group)
    {
        IReadOnlyList<TResult> results;
        try
        {
            results = await write(group.Select(p => p.Item).ToList());
            if (results.Count != group.Count)
            {
                var bug = new InvalidOperationException($"{what}: {results.Count} results for {group.Count} items.");
                throw new GroupMayBeWrittenException(bug.Message, bug);
            }
        }
        catch (GroupMayBeWrittenException e)
        {
            log.LogError(e, "{What} group of {Items} items may or may not be stored; failing each item", what, group.Count);
            foreach (var p in group) p.Done.TrySetException(e.InnerException ?? e);
            return;
        }
        catch (Exception e) when (group.Count > 1)
        {
            log.LogWarning(e, "{What} group of {Items} items failed; writing each item alone", what, group.Count);
            foreach (var p in group) await WriteAsync([p]);
            return;
        }
        catch (Exception e)
        {
            group[0].Done.TrySetException(e);
            return;
        }

        Interlocked.Increment(ref groups);
        Interlocked.Add(ref committedItems, group.Count);
        for (var i = 0; i < group.Count; i++) group[i].Done.TrySetResult(results[i]);
    }

    /// <summary>Stops taking items and waits until the queued ones are written or failed.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        Task? running;
        lock (gate) running = loop;
        if (running is not null) await running;
    }
}
