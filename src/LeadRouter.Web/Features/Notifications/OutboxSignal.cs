namespace LeadRouter.Web.Features.Notifications;

/// <summary>Wakes this node's outbox sender when a transaction that wrote messages has committed.</summary>
public sealed class OutboxSignal
{
    readonly SemaphoreSlim signal = new(0, 1);

    /// <summary>Called after a commit that wrote outbox rows.</summary>
    public void Notify()
    {
        lock (signal)
            if (signal.CurrentCount == 0) signal.Release();
    }

    /// <summary>Waits until <see cref="Notify"/> is called or <paramref name="timeout"/> passes on <paramref name="clock"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken ct)
    {
        using var timer = new CancellationTokenSource(timeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, ct);
        try
        {
            await signal.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }
}
