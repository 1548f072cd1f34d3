using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace LeadRouter.Bench;

/// <summary>
/// <c>--profile</c>: sums the time EF commands spend executing (until the reader or the row count comes back), by the
/// first words of their SQL, so a slow run shows which statements the time went to.
/// </summary>
sealed class CommandProfile : DbCommandInterceptor
{
    readonly ConcurrentDictionary<string, (int Count, TimeSpan Time)> totals = new();

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Add(command, eventData.Duration);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Add(command, eventData.Duration);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Add(command, eventData.Duration);
        return ValueTask.FromResult(result);
    }

    void Add(DbCommand command, TimeSpan duration)
    {
        var words = command.CommandText.Split((char[])[' ', '\n', '\r', '\t'], 4, StringSplitOptions.RemoveEmptyEntries);
        var key = string.Join(' ', words.Take(3)) + $" ({command.Parameters.Count} params)";
        totals.AddOrUpdate(key, (1, duration), (_, t) => (t.Count + 1, t.Time + duration));
    }

    public void Reset() => totals.Clear();

    public void Print(TimeSpan total)
    {
        Console.WriteLine($"EF commands (execute time until first result), of {total.TotalSeconds:N2} s:");
        foreach (var (key, (count, time)) in totals.OrderByDescending(t => t.Value.Time))
            Console.WriteLine($"  {time.TotalSeconds,7:N2} s  {count,7:N0}x  {key}");
    }
}
