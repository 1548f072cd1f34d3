namespace LeadRouter.Domain.Members;

/// <summary>
/// One eligible member as a distribution run sees it (seed 002). Tiers are data: the caller turns the
/// member's tier into <see cref="Wanted"/> (Bronze 100, Silver 250, Gold 500 by default). Suspended and
/// ineligible members (Affiliate, VIP Affiliate) are left out or given 0.
/// </summary>
/// <param name="MemberId">Member id.</param>
/// <param name="Wanted">Leads this member wants in this run (its tier allocation), 0 or more; also its weight
/// when supply is short.</param>
public sealed record MemberDemand(long MemberId, int Wanted);

/// <summary>One lead that may still be shared, as loaded for the run.</summary>
/// <param name="LeadId">Lead id.</param>
/// <param name="Order">FIFO key, smaller first: the import's order then the row within it (seed 004: oldest
/// import first).</param>
/// <param name="SharesSoFar">Members who received this lead in earlier runs; a lead at or over the cap takes
/// no more.</param>
public sealed record LeadSupply(long LeadId, long Order, int SharesSoFar);

/// <summary>One lead given to one member in this run: a row of the member's file.</summary>
public sealed record PlannedShare(long MemberId, long LeadId);

/// <summary>
/// The outcome of a run: every share (grouped by member in ascending member id, each member's leads
/// oldest first) and the count per member id (0 for members who get nothing).
/// </summary>
public sealed record AllocationPlan(IReadOnlyList<PlannedShare> Shares, IReadOnlyDictionary<long, int> PerMember);

/// <summary>
/// The member allocation of one distribution run (DESIGN rule 4, seeds 002 and 004). Pure: the same input
/// gives the same plan, whatever the order of the input lists.
/// </summary>
/// <remarks>
/// <para>The run is a bipartite b-matching: member i takes at most <c>Wanted</c> leads, lead j at most
/// <c>maxSharesPerLead − SharesSoFar</c> members, and a member only leads it never had. The plan
/// hands out the maximum flow of that graph: no other plan gives more shares in total.</para>
/// <para>How (no graph over every member–lead edge is ever built):</para>
/// <list type="number">
/// <item>Targets by weighted water-filling: each member is capped by its want and by the leads it has not seen
/// that still have room; the total is capped by the room left on all leads; the level is raised until the total
/// is handed out, and the fractions are rounded by largest remainder (ties to the smaller member id).</item>
/// <item>Fill one share at a time, lowest fill ratio (shares / want) first: the member takes the oldest
/// unseen lead with room (order key, then fewest shares so far, then lead id), through a cursor per member
/// over the leads in that order; full leads are skipped in near-constant time.</item>
/// <item>When a member finds no such lead, an augmenting path is searched: the member takes a full lead from
/// someone who can take another lead instead (which may chain). No path means that member cannot gain any
/// more in this run, whatever else happens, and neither can any member the search went through.</item>
/// <item>First everyone is filled up to its target, then any room left goes to members below their want,
/// again lowest fill ratio first.</item>
/// </list>
/// <para>Every step gives one more share, and the fill stops only when no member has an augmenting path, so the
/// total is the maximum flow. The counts a run can give form a polymatroid, so filling in this order (Federgruen–
/// Groenevelt greedy) gives every member its target whenever the targets can be met together; otherwise no share
/// can move to a member whose next share ranks earlier (below its target before above it, then lower fill ratio):
/// weighted max-min fair as far as feasible. No member ends up holding a lead while an older one (in pick order)
/// it never had still has room.</para>
/// <para>Cost: about O((leads + members + prior pairs + shares) · log) for the fill, plus one search over the
/// live full leads for each share that needs an augmenting path; a failed search closes off the members and
/// leads it reached for the rest of the run. Memory: a few arrays per member and lead, one bit per member–lead pair
/// up to 32 MB (else a hash set of the prior and planned pairs). 100,000 leads × 2,000 members plan in well
/// under a second.</para>
/// </remarks>
public static class MemberAllocation
{
    /// <summary>The seeds' limit: a lead goes to at most 10 members over all runs.</summary>
    public const int DefaultMaxSharesPerLead = 10;

    /// <summary>Plans one run with the prior shares as a set of (member, lead) pairs.</summary>
    /// <param name="members">Eligible members and what each wants; member ids distinct.</param>
    /// <param name="leads">Leads that may be shared; lead ids distinct. Leads already at the cap may be included.</param>
    /// <param name="priorShares">Every (member, lead) pair shared in earlier runs; pairs of other members or
    /// leads are ignored.</param>
    /// <param name="maxSharesPerLead">Most members a lead goes to over all runs (default 10), 0 or more.</param>
    /// <example>100 leads, 5 Bronze + 2 Silver + 1 Gold → each member gets all 100 leads, 800 shares.</example>
    public static AllocationPlan Plan(
        IReadOnlyList<MemberDemand> members,
        IReadOnlyList<LeadSupply> leads,
        IReadOnlySet<(long MemberId, long LeadId)> priorShares,
        int maxSharesPerLead = DefaultMaxSharesPerLead)
    {
        ArgumentNullException.ThrowIfNull(priorShares);
        return Plan(members, leads, (IEnumerable<(long MemberId, long LeadId)>)priorShares, maxSharesPerLead);
    }

    /// <summary>
    /// Plans one run with the prior shares as any sequence of (member, lead) pairs, e.g. streamed from the
    /// database without building a set first (the prior shares can number hundreds of thousands). Repeated pairs
    /// count once.
    /// </summary>
    /// <param name="members">Eligible members and what each wants; member ids distinct.</param>
    /// <param name="leads">Leads that may be shared; lead ids distinct.</param>
    /// <param name="priorShares">Every (member, lead) pair shared in earlier runs.</param>
    /// <param name="maxSharesPerLead">Most members a lead goes to over all runs (default 10), 0 or more.</param>
    public static AllocationPlan Plan(
        IReadOnlyList<MemberDemand> members,
        IReadOnlyList<LeadSupply> leads,
        IEnumerable<(long MemberId, long LeadId)> priorShares,
        int maxSharesPerLead = DefaultMaxSharesPerLead)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(leads);
        ArgumentNullException.ThrowIfNull(priorShares);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSharesPerLead);
        return new Allocator(members, leads, priorShares, maxSharesPerLead, SeenPairs.DefaultMaxBits).Run();
    }

    /// <summary>As <c>Plan</c>, with the bitset for seen pairs limited to <paramref name="seenMaxBits"/> (tests use 0
    /// to force the hash set).</summary>
    internal static AllocationPlan Plan(
        IReadOnlyList<MemberDemand> members, IReadOnlyList<LeadSupply> leads,
        IEnumerable<(long MemberId, long LeadId)> priorShares, int maxSharesPerLead, long seenMaxBits) =>
        new Allocator(members, leads, priorShares, maxSharesPerLead, seenMaxBits).Run();

    /// <summary>
    /// Weighted water-filling with largest-remainder rounding: the integer targets whose total is
    /// min(Σ caps, room), proportional to the weights as far as the caps allow. The level λ solves
    /// Σ min(cap_i, λ·weight_i) = total; each member gets ⌊min(cap_i, λ·weight_i)⌋, and the leftover units go to the
    /// largest fractional parts (ties to the earlier index). Exact integer arithmetic.
    /// </summary>
    /// <param name="weights">Weight per member (its want), 1 or more.</param>
    /// <param name="caps">Most each member can take (want, and unseen leads with room), 0 or more.</param>
    /// <param name="room">Shares left on all leads together.</param>
    internal static int[] WaterFill(IReadOnlyList<int> weights, IReadOnlyList<int> caps, long room)
    {
        var n = weights.Count;
        var targets = new int[n];
        long capSum = 0;
        for (var i = 0; i < n; i++) capSum += caps[i];
        var total = Math.Min(capSum, room);
        if (total <= 0) return targets;

        // Members in ascending cap/weight: the ones that saturate first as the level rises.
        var bySaturation = Enumerable.Range(0, n).Where(i => caps[i] > 0)
            .OrderBy(i => i, Comparer<int>.Create((a, b) => ((long)caps[a] * weights[b]).CompareTo((long)caps[b] * weights[a])))
            .ToArray();
        long remaining = total, weightLeft = 0;
        foreach (var i in bySaturation) weightLeft += weights[i];
        var k = 0;
        // A member saturates if its cap is reached at the level remaining / weightLeft.
        while (k < bySaturation.Length && (long)caps[bySaturation[k]] * weightLeft <= remaining * weights[bySaturation[k]])
        {
            var i = bySaturation[k++];
            targets[i] = caps[i];
            remaining -= caps[i];
            weightLeft -= weights[i];
        }

        if (k == bySaturation.Length) return targets;

        // The rest share `remaining` in proportion to weight: floor, then largest remainder.
        var open = bySaturation[k..];
        var remainders = new long[n];
        var handed = 0L;
        foreach (var i in open)
        {
            var exact = (Int128)remaining * weights[i];
            targets[i] = (int)(exact / weightLeft);
            remainders[i] = (long)(exact % weightLeft);
            handed += targets[i];
        }

        var byRemainder = open.OrderByDescending(i => remainders[i]).ThenBy(i => i).ToArray();
        for (var r = 0; r < remaining - handed; r++) targets[byRemainder[r]]++;
        return targets;
    }

    /// <summary>The mutable state of one planning call; never shared.</summary>
    sealed class Allocator
    {
        readonly long[] memberIds;     // by member index, ascending id
        readonly int[] want;
        readonly long[] leadIds;       // by lead index, in pick order
        readonly int[] room;           // shares this lead may still take in this run
        readonly int[] load;           // shares taken in this run
        readonly int[] holderStart;    // holders of lead j: holders[holderStart[j] .. + load[j]]
        readonly int[] holders;
        readonly SeenPairs seen;       // (member, lead) pairs prior or held now
        readonly int[] nextOpen;       // union-find "first lead at or after j with room"
        readonly List<int> fullLeads = [];
        readonly int[] cursor;
        readonly int[] count;
        readonly int[] unseenWithRoom;
        readonly bool[] saturated;
        readonly bool[] dead;          // full leads no augmenting path can use any more
        readonly int leadCount;

        // Augmenting-path search scratch, reused with a stamp instead of clearing.
        readonly int[] memberStamp, parentLead, parentMember;
        int stamp;

        public Allocator(IReadOnlyList<MemberDemand> members, IReadOnlyList<LeadSupply> leads,
            IEnumerable<(long MemberId, long LeadId)> priorShares, int maxSharesPerLead, long seenMaxBits)
        {
            var sortedMembers = members.Select(m => m ?? throw new ArgumentException("A member is null.", nameof(members)))
                .OrderBy(m => m.MemberId).ToArray();
            for (var i = 0; i < sortedMembers.Length; i++)
            {
                if (sortedMembers[i].Wanted < 0) throw new ArgumentException($"Member {sortedMembers[i].MemberId} wants {sortedMembers[i].Wanted}; wants are 0 or more.", nameof(members));
                if (i > 0 && sortedMembers[i].MemberId == sortedMembers[i - 1].MemberId) throw new ArgumentException($"Member {sortedMembers[i].MemberId} is listed twice.", nameof(members));
            }

            var usable = leads.Select(l => l ?? throw new ArgumentException("A lead is null.", nameof(leads)))
                .ToArray();
            var ids = new HashSet<long>();
            foreach (var l in usable)
            {
                if (!ids.Add(l.LeadId)) throw new ArgumentException($"Lead {l.LeadId} is listed twice.", nameof(leads));
                if (l.SharesSoFar < 0) throw new ArgumentException($"Lead {l.LeadId} has {l.SharesSoFar} shares so far; counts are 0 or more.", nameof(leads));
            }

            // Pick order: oldest first, then least shared, then lead id. Leads with no room are dropped.
            var sortedLeads = usable.Where(l => maxSharesPerLead - l.SharesSoFar > 0)
                .OrderBy(l => l.Order).ThenBy(l => l.SharesSoFar).ThenBy(l => l.LeadId).ToArray();

            var m = sortedMembers.Length;
            leadCount = sortedLeads.Length;
            memberIds = sortedMembers.Select(x => x.MemberId).ToArray();
            want = sortedMembers.Select(x => x.Wanted).ToArray();
            leadIds = sortedLeads.Select(x => x.LeadId).ToArray();
            room = sortedLeads.Select(x => maxSharesPerLead - x.SharesSoFar).ToArray();
            load = new int[leadCount];
            holderStart = new int[leadCount + 1];
            for (var j = 0; j < leadCount; j++) holderStart[j + 1] = holderStart[j] + room[j];
            holders = new int[holderStart[leadCount]];
            nextOpen = new int[leadCount + 1];
            for (var j = 0; j <= leadCount; j++) nextOpen[j] = j;
            cursor = new int[m];
            count = new int[m];
            saturated = new bool[m];
            memberStamp = new int[m];
            parentLead = new int[m];
            parentMember = new int[leadCount];
            dead = new bool[leadCount];

            var memberIndex = new Dictionary<long, int>(m);
            for (var i = 0; i < m; i++) memberIndex[memberIds[i]] = i;
            var leadIndex = new Dictionary<long, int>(leadCount);
            for (var j = 0; j < leadCount; j++) leadIndex[leadIds[j]] = j;

            seen = new SeenPairs(m, leadCount, seenMaxBits);
            unseenWithRoom = new int[m];
            Array.Fill(unseenWithRoom, leadCount);
            foreach (var (memberId, leadId) in priorShares)
                if (memberIndex.TryGetValue(memberId, out var i) && leadIndex.TryGetValue(leadId, out var j) && seen.Add(i, j))
                    unseenWithRoom[i]--;
        }

        public AllocationPlan Run()
        {
            var m = memberIds.Length;
            long totalRoom = 0;
            foreach (var r in room) totalRoom += r;
            var active = Enumerable.Range(0, m).Where(i => want[i] > 0).ToArray();
            var targets = WaterFill(
                active.Select(i => want[i]).ToArray(),
                active.Select(i => Math.Min(want[i], unseenWithRoom[i])).ToArray(),
                totalRoom);

            var target = new int[m];
            for (var k = 0; k < active.Length; k++) target[active[k]] = targets[k];

            Fill(active, target);   // everyone up to its proportional target
            Fill(active, want);     // then whatever room is left, up to the wants

            var shares = new List<PlannedShare>();
            var perMember = new Dictionary<long, int>(m);
            var byMember = new List<int>[m];
            for (var i = 0; i < m; i++) byMember[i] = new List<int>(count[i]);
            for (var j = 0; j < leadCount; j++)
                for (var h = 0; h < load[j]; h++) byMember[holders[holderStart[j] + h]].Add(j);
            for (var i = 0; i < m; i++)
            {
                perMember[memberIds[i]] = count[i];
                foreach (var j in byMember[i]) shares.Add(new PlannedShare(memberIds[i], leadIds[j]));
            }

            return new AllocationPlan(shares, perMember);
        }

        // Gives shares one at a time, lowest fill ratio first (ties to the smaller member id), up to `cap`.
        void Fill(int[] active, int[] cap)
        {
            var queue = new PriorityQueue<int, (int Count, int Want, int Index)>(FillRatio.Instance);
            foreach (var i in active)
                if (!saturated[i] && count[i] < cap[i]) queue.Enqueue(i, (count[i], want[i], i));

            while (queue.TryDequeue(out var i, out _))
            {
                if (saturated[i]) continue;
                if (!TryGiveOneMore(i)) continue;
                if (count[i] < cap[i]) queue.Enqueue(i, (count[i], want[i], i));
            }
        }

        sealed class FillRatio : IComparer<(int Count, int Want, int Index)>
        {
            public static readonly FillRatio Instance = new();

            public int Compare((int Count, int Want, int Index) a, (int Count, int Want, int Index) b)
            {
                var c = ((long)a.Count * b.Want).CompareTo((long)b.Count * a.Want);
                return c != 0 ? c : a.Index.CompareTo(b.Index);
            }
        }

        bool TryGiveOneMore(int member)
        {
            var lead = NextOpenUnseen(member);
            if (lead >= 0)
            {
                Take(member, lead);
                count[member]++;
                return true;
            }

            return Augment(member);
        }

        // First lead with room in pick order that the member never had, or −1. Advances the member's cursor:
        // leads behind it are full (they stay full) or seen (prior pairs never go; a held lead is only given up
        // inside an augmenting path, where it is full).
        int NextOpenUnseen(int member)
        {
            var j = FindOpen(cursor[member]);
            while (j < leadCount && seen.Contains(member, j)) j = FindOpen(j + 1);
            cursor[member] = j;
            return j < leadCount ? j : -1;
        }

        int FindOpen(int j)
        {
            var root = j;
            while (nextOpen[root] != root) root = nextOpen[root];
            while (nextOpen[j] != root)
            {
                var next = nextOpen[j];
                nextOpen[j] = root;
                j = next;
            }

            return root;
        }

        void Take(int member, int lead)
        {
            seen.Add(member, lead);
            holders[holderStart[lead] + load[lead]] = member;
            if (++load[lead] == room[lead])
            {
                nextOpen[lead] = lead + 1;
                fullLeads.Add(lead);
            }
        }

        // Breadth-first search for: member takes full lead j1 from b1, b1 takes full lead j2 from b2, …, and the
        // last one takes a lead with room. Leads are visited by scanning the full leads not yet visited, which is
        // cheap because a member skips only the leads it has seen.
        // A failed search reached a set of members and leads closed in the residual graph: none of its members
        // can gain a share, and no later augmenting path can enter it (that would need an edge out of it). So its
        // members are marked saturated and its leads dead, and later searches skip both.
        bool Augment(int start)
        {
            stamp++;
            var pending = new List<int>(fullLeads.Count);   // live full leads not yet visited
            foreach (var j in fullLeads)
                if (!dead[j]) pending.Add(j);
            var queue = new Queue<int>();
            var reached = new List<int> { start };
            var visited = new List<int>();
            memberStamp[start] = stamp;
            queue.Enqueue(start);
            while (queue.TryDequeue(out var a))
            {
                var keep = 0;
                for (var p = 0; p < pending.Count; p++)
                {
                    var j = pending[p];
                    if (seen.Contains(a, j))
                    {
                        pending[keep++] = j;
                        continue;
                    }

                    visited.Add(j);
                    parentMember[j] = a;
                    for (var h = 0; h < load[j]; h++)
                    {
                        var b = holders[holderStart[j] + h];
                        if (memberStamp[b] == stamp) continue;
                        memberStamp[b] = stamp;
                        if (saturated[b]) continue;   // inside an earlier closed set: a dead end
                        parentLead[b] = j;
                        reached.Add(b);
                        var open = NextOpenUnseen(b);
                        if (open >= 0)
                        {
                            Shift(b, open, start);
                            count[start]++;
                            return true;
                        }

                        queue.Enqueue(b);
                    }
                }

                pending.RemoveRange(keep, pending.Count - keep);
            }

            foreach (var b in reached) saturated[b] = true;
            foreach (var j in visited) dead[j] = true;
            fullLeads.RemoveAll(j => dead[j]);
            return false;
        }

        // Applies the path found by Augment: `last` takes `open`, gives up the lead it was reached through to the
        // member that reached it, and so on back to `start`.
        void Shift(int last, int open, int start)
        {
            Take(last, open);
            var b = last;
            while (b != start)
            {
                var j = parentLead[b];
                var a = parentMember[j];
                Replace(j, b, a);
                b = a;
            }
        }

        // Lead j (full) passes from member `from` to member `to`; its load does not change.
        void Replace(int j, int from, int to)
        {
            seen.Remove(from, j);
            seen.Add(to, j);
            var start = holderStart[j];
            var h = start;
            while (holders[h] != from) h++;
            holders[h] = to;
        }
    }

    /// <summary>
    /// Which (member, lead) pairs are taken: one bit per pair while members × leads stays under 2^28 bits
    /// (32 MB; 2,000 members × 134,000 leads), else a hash set of the pairs present.
    /// </summary>
    sealed class SeenPairs
    {
        public const long DefaultMaxBits = 1L << 28;
        readonly int leadCount;
        readonly int wordsPerMember;
        readonly ulong[]? bits;
        readonly HashSet<long>? pairs;

        public SeenPairs(int members, int leads, long maxBits)
        {
            leadCount = leads;
            wordsPerMember = (leads + 63) >> 6;
            if ((long)members * wordsPerMember * 64 <= maxBits) bits = new ulong[members * wordsPerMember];
            else pairs = [];
        }

        public bool Contains(int member, int lead) => bits is { } b
            ? (b[member * wordsPerMember + (lead >> 6)] & (1UL << lead)) != 0
            : pairs!.Contains((long)member * leadCount + lead);

        /// <summary>Adds the pair; false if it was there already.</summary>
        public bool Add(int member, int lead)
        {
            if (bits is null) return pairs!.Add((long)member * leadCount + lead);
            ref var word = ref bits[member * wordsPerMember + (lead >> 6)];
            var had = (word & (1UL << lead)) != 0;
            word |= 1UL << lead;
            return !had;
        }

        public void Remove(int member, int lead)
        {
            if (bits is null) pairs!.Remove((long)member * leadCount + lead);
            else bits[member * wordsPerMember + (lead >> 6)] &= ~(1UL << lead);
        }
    }
}
