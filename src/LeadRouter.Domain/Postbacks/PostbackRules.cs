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
        var ascending = histogram.OrderBy(h => h.Value).ToArray();
        return NearestRankOfSorted(ascending.Select(h => h.Value).ToArray(), ascending.Select(h => h.Count).ToArray(), percent);
    }

    /// <summary>
    /// <see cref="NearestRank"/> of a histogram already in ascending order of value, held as two parallel spans:
    /// <paramref name="values"/> ascending (a value may repeat: its counts add up) and their <paramref name="counts"/>
    /// (0 or more), without sorting it again: for callers that merge large histograms (the broker report's p95).
    /// </summary>
    public static int? NearestRankOfSorted(ReadOnlySpan<int> values, ReadOnlySpan<long> counts, int percent)
    {
        long n = 0;
        foreach (var count in counts) n += count;
        if (n == 0) return null;
        var rank = (n * percent + 99) / 100; // ceil(p·n/100) in integers
        long seen = 0;
        for (var i = 0; i < values.Length; i++)
        {
            seen += counts[i];
            if (counts[i] > 0 && seen >= rank) return values[i];
        }

        return null;
    }
}
