using LeadRouter.Data;
using LeadRouter.Data.Leads;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Leads;

/// <summary>The result of a status change: the lead's id, old and new status, and when (UTC).</summary>
public sealed record StatusChanged(long LeadId, LeadStatus From, LeadStatus To, DateTimeOffset ChangedAt);

/// <summary>
/// Agents record what happened to their leads (seed 001's outcomes): Pending → Contacted → Qualified → Converted or Lost,
/// forward only; Converted and Lost are final. Every change is kept with its time and who made it.
/// </summary>
public sealed class ChangeLeadStatus(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    static readonly LeadStatus[] Order = [LeadStatus.Pending, LeadStatus.Contacted, LeadStatus.Qualified, LeadStatus.Converted];

    /// <summary>Changes the status. <paramref name="agentId"/> set: only that agent's own lead may be changed.</summary>
    /// <returns>The change, or null when the lead does not exist (or is not the agent's).</returns>
    /// <exception cref="InputException">The change is not allowed from the lead's current status.</exception>
    public async Task<StatusChanged?> SetAsync(long leadId, LeadStatus status, long? agentId, string? changedBy, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var lead = await db.Leads.SingleOrDefaultAsync(l => l.Id == leadId && (agentId == null || l.AgentId == agentId), ct);
        if (lead is null) return null;
        var from = lead.Status;
        if (!Allowed(from, status))
            throw new InputException("status", $"A {from} lead cannot become {status}: statuses go Pending → Contacted → Qualified → Converted, or Lost; Converted and Lost are final.");
        var now = clock.GetUtcNow();
        var changed = await db.Leads.Where(l => l.Id == leadId && l.Status == from)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, status).SetProperty(l => l.StatusChangedAt, now), ct);
        if (changed == 0) throw new InputException("status", "The lead changed meanwhile; reload and try again.");
        db.LeadStatusChanges.Add(new LeadStatusChange { LeadId = leadId, From = from, To = status, ChangedAt = now, ChangedBy = changedBy });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new StatusChanged(leadId, from, status, now);
    }

    /// <summary>The statuses a lead in <paramref name="from"/> may move to, in order (none when it is final or unassigned).</summary>
    public static IReadOnlyList<LeadStatus> NextStatuses(LeadStatus from) =>
        [.. Order.Append(LeadStatus.Lost).Where(to => Allowed(from, to))];

    static bool Allowed(LeadStatus from, LeadStatus to)
    {
        if (from is LeadStatus.Converted or LeadStatus.Lost or LeadStatus.Reserve or LeadStatus.New) return false;
        if (to == LeadStatus.Lost) return true;
        var i = Array.IndexOf(Order, from);
        var j = Array.IndexOf(Order, to);
        return i >= 0 && j > i;
    }
}
