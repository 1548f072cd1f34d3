namespace LeadRouter.Domain.Postbacks;

/// <summary>A lead's status as the postback rules see it (mirrors the stored lead status).</summary>
public enum LeadStage { Reserve, New, Pending, Contacted, Qualified, Converted, Lost }

/// <summary>A broker's reported outcome.</summary>
public enum OutcomeKind { Accepted, Rejected, Duplicate, Contacted, Deposit, Converted, Lost }

/// <summary>What a postback changes on its lead: the new status (or null for none), first deposit, conversion time.</summary>
public sealed record PostbackEffect(LeadStage? NewStatus, bool SetsFirstDeposit, bool SetsConvertedAt);

/// <summary>
/// How a broker's postback moves its lead: <c>contacted</c> moves a Pending lead to Contacted; <c>converted</c> makes any
/// lead that is not yet Converted Converted (a broker may convert a lead it had reported lost); <c>lost</c> makes a lead
/// that is neither Converted nor Lost Lost. The first <c>deposit</c> with an amount is the lead's first deposit; the first
/// <c>converted</c> sets its conversion time. Other events are stored only.
/// </summary>
public static class PostbackRules
{
    public static PostbackEffect Decide(OutcomeKind kind, LeadStage status, bool hasAmount, bool hasFirstDeposit, bool hasConvertedAt) => kind switch
    {
        OutcomeKind.Contacted => new(status is LeadStage.Pending or LeadStage.New ? LeadStage.Contacted : null, false, false),
        OutcomeKind.Converted => new(status != LeadStage.Converted ? LeadStage.Converted : null, false, !hasConvertedAt),
        OutcomeKind.Lost => new(status is not (LeadStage.Converted or LeadStage.Lost) ? LeadStage.Lost : null, false, false),
        OutcomeKind.Deposit => new(null, hasAmount && !hasFirstDeposit, false),
        _ => new(null, false, false),
    };

    /// <summary>
    /// The nearest-rank percentile (<paramref name="percent"/> in 1–100) of values given as a histogram (value → count):
    /// the smallest value whose cumulative count reaches ⌈p/100 · n⌉. Null when there are none.
    /// </summary>
    public static int? NearestRank(IEnumerable<(int Value, long Count)> histogram, int percent)
    {
        var entries = histogram.ToArray();
        return NearestRankOfRuns([SortedRun.Of(entries.Select(h => h.Value).ToArray(), entries.Select(h => h.Count).ToArray())], percent);
    }

    /// <summary>
    /// <see cref="NearestRank"/> of a histogram held as several runs, each in ascending order of value (the broker report's
    /// p95: one or two runs per cell and day, merged per report row), without merging or sorting them: a binary search over
    /// the value range for the smallest value whose count of entries at or below it, summed over the runs, reaches the rank.
    /// Costs about 32 · (runs) · log(run length) steps, however long the runs.
    /// </summary>
    public static int? NearestRankOfRuns(IReadOnlyList<SortedRun> runs, int percent)
    {
        long n = 0;
        int low = int.MaxValue, high = int.MinValue;
        foreach (var run in runs)
        {
            if (run.Count == 0) continue;
            n += run.Count;
            low = Math.Min(low, run.Values[0]);
            high = Math.Max(high, run.Values[^1]);
        }

        if (n == 0) return null;
        var rank = (n * percent + 99) / 100; // ceil(p·n/100) in integers
        // The count at or below a value only grows with it, and it reaches n at the highest value.
        while (low < high)
        {
            var mid = (int)(((long)low + high) >> 1);
            long atOrBelow = 0;
            foreach (var run in runs) atOrBelow += run.CountAtOrBelow(mid);
            if (atOrBelow >= rank) high = mid;
            else low = mid + 1;
        }

        return low;
    }
}

/// <summary>
/// A run of a histogram: <paramref name="Values"/> in ascending order (a value may repeat) and, for each entry, the count
/// of all entries up to and including it (<paramref name="Cumulative"/>, non-decreasing), or null when every entry counts one.
/// </summary>
public readonly record struct SortedRun(int[] Values, long[]? Cumulative)
{
    /// <summary>The entries' total count.</summary>
    public long Count => Values.Length == 0 ? 0 : Cumulative is { } c ? c[^1] : Values.Length;

    /// <summary>The count of the entries whose value is at most <paramref name="value"/>.</summary>
    public long CountAtOrBelow(int value)
    {
        // The first index whose value is above the given one.
        int lo = 0, hi = Values.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Values[mid] <= value) lo = mid + 1;
            else hi = mid;
        }

        return lo == 0 ? 0 : Cumulative is { } c ? c[lo - 1] : lo;
    }

    /// <summary>
    /// A run of <paramref name="values"/> with their <paramref name="counts"/> (each above 0), sorted here by value when they
    /// are not in order already.
    /// </summary>
    public static SortedRun Of(int[] values, long[]? counts)
    {
        if (!IsAscending(values)) Array.Sort(values, counts);
        if (counts is null) return new(values, null);
        var cumulative = new long[counts.Length];
        long sum = 0;
        for (var i = 0; i < counts.Length; i++) cumulative[i] = sum += counts[i];
        return new(values, cumulative);
    }

    static bool IsAscending(int[] values)
    {
        for (var i = 1; i < values.Length; i++)
            if (values[i] < values[i - 1]) return false;
        return true;
    }
}
