namespace LeadRouter.Domain.Agents;

/// <summary>How a pool hands out its leads (seed 000's auto-assign methods).</summary>
public enum AssignmentMethod
{
    /// <summary>Lowest level first; ties in round-robin order after the last agent served (DESIGN rule 2).</summary>
    Fair,
    /// <summary>Strict rotation in pool order after the last agent served; the cursor lives in the database.</summary>
    RoundRobin,
}

/// <summary>
/// One agent as the pool sees it. <see cref="Received"/> is the leads this agent got from this pool (what
/// <c>stats</c> shows); <see cref="Credit"/> is the leads credited on joining or returning so that the agent
/// starts at the pool's minimum level. Level = (Received + Credit) / Weight.
/// </summary>
/// <param name="AgentId">Agent id.</param>
/// <param name="Name">Agent display name.</param>
/// <param name="Received">Leads received from this pool so far.</param>
/// <param name="Credit">Leads credited (not received) to level the agent on joining or returning; never negative.</param>
/// <param name="Weight">Relative share, 1 or more (default 1): an agent of weight 2 takes twice the leads.</param>
/// <param name="Available">False when the agent is away or inactive: skipped, and re-levelled on return.</param>
/// <param name="Capacity">Maximum open (Pending/Contacted/Qualified) leads, or null for no limit.</param>
/// <param name="OpenLeads">Open leads the agent holds now, over all sources.</param>
public sealed record PoolAgent(
    long AgentId, string Name, long Received, long Credit = 0, int Weight = 1,
    bool Available = true, int? Capacity = null, int OpenLeads = 0);

/// <summary>A pool's state as loaded inside the assignment transaction; agents in pool order.</summary>
/// <param name="Method">Fair or round robin.</param>
/// <param name="Agents">Agents in pool order (the order the admin saved).</param>
/// <param name="LastAgentId">The agent who received this pool's previous lead, or null before the first.</param>
public sealed record PoolState(AssignmentMethod Method, IReadOnlyList<PoolAgent> Agents, long? LastAgentId);

/// <summary>One lead given to one agent, with the agent's pool count before and after (seed 000's history row).</summary>
public sealed record PlannedAssignment(long LeadId, long AgentId, long CountBefore, long CountAfter);

/// <summary>
/// The outcome of planning: the assignments in order, the new round-robin cursor, and the leads left
/// unassigned because no agent could take them (all away, inactive or at capacity).
/// </summary>
public sealed record AssignmentPlan(
    IReadOnlyList<PlannedAssignment> Assignments, long? LastAgentId, IReadOnlyList<long> Unassigned);

/// <summary>
/// The agent queue of DESIGN rule 2 (seed 000). Pure: the same state and leads give the same plan.
/// </summary>
public static class FairQueue
{
    /// <summary>
    /// Plans who gets each lead, in the given lead order (oldest first is the caller's choice).
    /// Fair: the available agent with the lowest level gets the next lead; ties go to the first tied agent
    /// in pool order after the last agent served. Round robin: the next available agent after the last served.
    /// Agents away, inactive or at capacity are skipped; a lead no agent can take is returned as unassigned.
    /// </summary>
    /// <example>John 15, Sarah 12, Mike 18 + 4 leads → John 16, Sarah 15, Mike 18 (seed 000).</example>
    public static AssignmentPlan Plan(PoolState pool, IReadOnlyList<long> leadIds)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(leadIds);
        var agents = pool.Agents;
        var n = agents.Count;
        var received = new long[n];
        var open = new int[n];
        for (var i = 0; i < n; i++)
        {
            if (agents[i].Weight < 1) throw new ArgumentException($"Agent {agents[i].Name} has weight {agents[i].Weight}; weights are 1 or more.", nameof(pool));
            received[i] = agents[i].Received;
            open[i] = agents[i].OpenLeads;
        }

        var last = IndexOf(agents, pool.LastAgentId);
        var assignments = new List<PlannedAssignment>(leadIds.Count);
        var unassigned = new List<long>();
        foreach (var leadId in leadIds)
        {
            var pick = pool.Method == AssignmentMethod.RoundRobin
                ? NextInRotation(agents, open, last)
                : LowestLevel(agents, received, open, last);
            if (pick < 0)
            {
                unassigned.Add(leadId);
                continue;
            }

            assignments.Add(new PlannedAssignment(leadId, agents[pick].AgentId, received[pick], received[pick] + 1));
            received[pick]++;
            open[pick]++;
            last = pick;
        }

        return new AssignmentPlan(assignments, last >= 0 ? agents[last].AgentId : pool.LastAgentId, unassigned);
    }

    /// <summary>
    /// Credits for agents who join the pool or come back from away: each named agent is raised to the
    /// lowest level among the other available agents, so it neither floods nor starves (DESIGN rule 2).
    /// Returns the new credit per agent id for the agents whose credit changes; an agent already at or
    /// above that level keeps its credit. With no other available agent nothing changes.
    /// </summary>
    public static IReadOnlyDictionary<long, long> Level(PoolState pool, IReadOnlyCollection<long> joiningAgentIds)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var others = pool.Agents.Where(a => a.Available && !joiningAgentIds.Contains(a.AgentId)).ToList();
        var result = new Dictionary<long, long>();
        if (others.Count == 0) return result;

        // Minimum level as an exact fraction num/den (level = (received + credit) / weight).
        var min = others.MinBy(a => (double)(a.Received + a.Credit) / a.Weight)!;
        foreach (var agent in pool.Agents.Where(a => joiningAgentIds.Contains(a.AgentId)))
        {
            // floor(minLevel × weight) leads would put this agent at (or just under) the minimum.
            var wanted = (min.Received + min.Credit) * agent.Weight / min.Weight;
            var credit = wanted - agent.Received;
            if (credit > agent.Credit) result[agent.AgentId] = credit;
        }

        return result;
    }

    static int IndexOf(IReadOnlyList<PoolAgent> agents, long? agentId)
    {
        if (agentId is null) return -1;
        for (var i = 0; i < agents.Count; i++)
            if (agents[i].AgentId == agentId) return i;
        return -1;
    }

    static bool CanTake(PoolAgent agent, int open) =>
        agent.Available && (agent.Capacity is not { } cap || open < cap);

    static int NextInRotation(IReadOnlyList<PoolAgent> agents, int[] open, int last)
    {
        var n = agents.Count;
        for (var step = 1; step <= n; step++)
        {
            var i = ((last < 0 ? -1 : last) + step) % n;
            if (CanTake(agents[i], open[i])) return i;
        }

        return -1;
    }

    static int LowestLevel(IReadOnlyList<PoolAgent> agents, long[] received, int[] open, int last)
    {
        var n = agents.Count;
        var best = -1;
        // Scan in rotation order starting after the last served, so the first strictly lowest wins ties.
        for (var step = 1; step <= n; step++)
        {
            var i = ((last < 0 ? -1 : last) + step) % n;
            if (!CanTake(agents[i], open[i])) continue;
            if (best < 0 || Compare(agents[i], received[i], agents[best], received[best]) < 0) best = i;
        }

        return best;
    }

    // Compares (r_a + c_a) / w_a with (r_b + c_b) / w_b exactly, by cross-multiplying.
    static int Compare(PoolAgent a, long ra, PoolAgent b, long rb) =>
        ((ra + a.Credit) * b.Weight).CompareTo((rb + b.Credit) * a.Weight);
}
