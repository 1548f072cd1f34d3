using System.Collections.Concurrent;
using LeadRouter.Web.Features.Platform;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeadRouter.Web.Tests.Platform;

/// <summary>
/// The group commit's queueing on its own (its writers on both databases are tested through intake and downloads): the
/// first group's write is held open so the next items are known to queue up and go into one group.
/// </summary>
public sealed class GroupCommitTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A group commit whose write records each group, waits for <see cref="Release"/> on the first, and fails as told.</summary>
    sealed class Harness : IAsyncDisposable
    {
        readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly TaskCompletionSource firstStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly Func<IReadOnlyList<string>, Exception?> fail;

        public Harness(Func<IReadOnlyList<string>, Exception?> fail)
        {
            this.fail = fail;
            Commit = new GroupCommit<string, string>(WriteAsync, _ => 1, 100, "Test", NullLogger.Instance);
        }

        public GroupCommit<string, string> Commit { get; }

        public ConcurrentQueue<string[]> Groups { get; } = new();

        public Task FirstStarted => firstStarted.Task;

        public void Release() => release.TrySetResult();

        async Task<IReadOnlyList<string>> WriteAsync(IReadOnlyList<string> items)
        {
            Groups.Enqueue(items.ToArray());
            if (firstStarted.TrySetResult()) await release.Task;
            if (fail(items) is { } e) throw e;
            return items.Select(i => i.ToUpperInvariant()).ToList();
        }

        public ValueTask DisposeAsync() => Commit.DisposeAsync();
    }

    /// <summary>Queues "first" and waits until its write is running (and held).</summary>
    static async Task<Task<string>> HoldFirstAsync(Harness h)
    {
        var first = h.Commit.SubmitAsync("first", Ct);
        await h.FirstStarted.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        return first;
    }

    [Fact]
    public async Task Items_queued_during_a_write_form_the_next_group_and_each_gets_its_own_result()
    {
        await using var h = new Harness(_ => null);
        var first = await HoldFirstAsync(h);

        var next = new[] { "a", "b", "c" }.Select(i => h.Commit.SubmitAsync(i, Ct)).ToList();
        h.Release();

        Assert.Equal("FIRST", await first);
        Assert.Equal(["A", "B", "C"], await Task.WhenAll(next));
        Assert.Equal([["first"], ["a", "b", "c"]], h.Groups.ToArray());
        Assert.Equal((2, 4), h.Commit.Committed);
    }

    [Fact]
    public async Task A_failing_group_is_written_one_item_at_a_time_so_only_the_bad_item_fails()
    {
        await using var h = new Harness(items => items.Contains("bad") ? new InvalidOperationException("bad item") : null);
        var first = await HoldFirstAsync(h);

        var good1 = h.Commit.SubmitAsync("good1", Ct);
        var bad = h.Commit.SubmitAsync("bad", Ct);
        var good2 = h.Commit.SubmitAsync("good2", Ct);
        h.Release();

        Assert.Equal("FIRST", await first);
        Assert.Equal("GOOD1", await good1);
        Assert.Equal("GOOD2", await good2);
        Assert.Equal("bad item", (await Assert.ThrowsAsync<InvalidOperationException>(() => bad)).Message);
        Assert.Equal([["first"], ["good1", "bad", "good2"], ["good1"], ["bad"], ["good2"]], h.Groups.ToArray());
    }

    [Fact]
    public async Task A_group_that_may_be_written_fails_every_item_and_is_not_written_again()
    {
        await using var h = new Harness(items => items.Count > 1 ? new GroupMayBeWrittenException("commit lost", new TimeoutException("no answer")) : null);
        var first = await HoldFirstAsync(h);

        var next = new[] { "a", "b" }.Select(i => h.Commit.SubmitAsync(i, Ct)).ToList();
        h.Release();

        Assert.Equal("FIRST", await first);
        foreach (var t in next) await Assert.ThrowsAsync<TimeoutException>(() => t);
        Assert.Equal([["first"], ["a", "b"]], h.Groups.ToArray());
    }

    [Fact]
    public async Task Shutdown_writes_what_is_queued_and_refuses_new_items()
    {
        var h = new Harness(_ => null);
        var first = await HoldFirstAsync(h);
        var queued = new[] { "a", "b" }.Select(i => h.Commit.SubmitAsync(i, Ct)).ToList();

        var shutdown = h.Commit.DisposeAsync().AsTask();
        var refused = Assert.Throws<ObjectDisposedException>(() => { _ = h.Commit.SubmitAsync("late", Ct); });
        Assert.False(shutdown.IsCompleted);
        h.Release();
        await shutdown.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.NotNull(refused);
        Assert.Equal("FIRST", await first);
        Assert.Equal(["A", "B"], await Task.WhenAll(queued));
        Assert.DoesNotContain(h.Groups, g => g.Contains("late"));
    }

    [Fact]
    public async Task An_item_whose_caller_gave_up_before_it_was_taken_is_not_written()
    {
        await using var h = new Harness(_ => null);
        var first = await HoldFirstAsync(h);
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var abandoned = h.Commit.SubmitAsync("abandoned", gone.Token);
        var kept = h.Commit.SubmitAsync("kept", Ct);
        await gone.CancelAsync();
        h.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.Equal("FIRST", await first);
        Assert.Equal("KEPT", await kept);
        Assert.Equal([["first"], ["kept"]], h.Groups.ToArray());
    }
}
