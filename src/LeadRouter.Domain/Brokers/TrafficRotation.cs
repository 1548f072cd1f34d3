namespace LeadRouter.Domain.Brokers;

/// <summary>
/// One step of the traffic rotation inside a group (DESIGN rule 3): smooth weighted round-robin state and update
/// as in nginx (every candidate's current += its weight; the picked one's current -= the candidates' total), with
/// the pick made by earliest deadline instead of nginx's largest current.
/// <para>
/// Why not the largest current: it keeps every broker within 1 lead of N × weight / Σweights only up to 4 brokers.
/// With 5 or more of uneven weight it drifts further, e.g. weights 100/100/5/5/1 reach 1.12 and twelve uneven
/// brokers 1.3 (see the tests). The current is N × weight − Σweights × count, i.e. the broker's deficit scaled by
/// Σweights, so the same state also tells each broker's deadline: the last lead by which it must have its next one
/// to stay within the bound. Picking the earliest deadline among the brokers whose next lead is due (Tijdeman 1980,
/// "the chairman assignment problem") keeps every broker within 1 − 1/(2k − 2) of its share at every N for k
/// brokers: 0.5 for 2, 0.75 for 3, under 1 for any number. Same stored state, same update, only the pick differs.
/// </para>
/// </summary>
internal static class TrafficRotation
{
    /// <summary>
    /// Advances the rotation by one lead and returns the index of the candidate that gets it.
    /// <paramref name="current"/> holds each candidate's stored current on entry and the new one on return.
    /// Ties go to the lowest broker id, so the outcome does not depend on the order brokers were loaded in.
    /// </summary>
    /// <param name="brokerIds">Candidate broker ids.</param>
    /// <param name="weights">Candidate weights, each 1–100.</param>
    /// <param name="current">Candidate currents (in/out).</param>
    public static int Step(ReadOnlySpan<long> brokerIds, ReadOnlySpan<int> weights, Span<long> current)
    {
        var k = brokerIds.Length;
        if (k == 0) throw new ArgumentException("No candidates.", nameof(brokerIds));
        long total = 0;
        for (var i = 0; i < k; i++)
        {
            total += weights[i];
            current[i] += weights[i];
        }

        var pick = k == 1 ? 0 : EarliestDeadline(brokerIds, weights, current, total);
        if (pick < 0) pick = LargestCurrent(brokerIds, current);
        current[pick] -= total;
        return pick;
    }

    // With bound D = 1 − 1/(2k − 2): a broker's next lead is due once current ≥ (1 − D) × total, and its deadline is
    // (D × total − current) / weight leads away. Compared as exact fractions: num = (2k − 3) × total − (2k − 2) × current.
    static int EarliestDeadline(ReadOnlySpan<long> brokerIds, ReadOnlySpan<int> weights, ReadOnlySpan<long> current, long total)
    {
        long scale = 2L * brokerIds.Length - 2;
        var best = -1;
        long bestNum = 0;
        for (var i = 0; i < brokerIds.Length; i++)
        {
            if (current[i] * scale < total) continue; // not due yet
            var num = (scale - 1) * total - scale * current[i];
            if (best < 0) { best = i; bestNum = num; continue; }
            var cmp = ((Int128)num * weights[best]).CompareTo((Int128)bestNum * weights[i]);
            if (cmp < 0 || (cmp == 0 && brokerIds[i] < brokerIds[best])) { best = i; bestNum = num; }
        }

        return best;
    }

    // Fallback when no broker is due, which only happens after the group's members changed (a broker that sits out
    // keeps a high current): nginx's pick.
    static int LargestCurrent(ReadOnlySpan<long> brokerIds, ReadOnlySpan<long> current)
    {
        var best = 0;
        for (var i = 1; i < brokerIds.Length; i++)
            if (current[i] > current[best] || (current[i] == current[best] && brokerIds[i] < brokerIds[best])) best = i;
        return best;
    }
}
