using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Features.Agents;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Leads;

/// <summary>A lead as the API, CLI and dashboard show it. Times are UTC; attributes are the file's other columns.</summary>
public sealed record LeadDto(long Id, string? ExternalId, string? Name, string? Email, string? Phone, string? Company,
    string? Address, string? City, string? Country, decimal? Amount, string? Grade, double? Score, string? Source,
    LeadStatus Status, long? AgentId, string? Agent, long ImportId, string? Attributes, DateTimeOffset CreatedAt, DateTimeOffset? AssignedAt);

/// <summary>Filters of the lead list; all optional. Page is 1-based; page size 1–500 (default 50).</summary>
public sealed record LeadFilter(string? Source = null, LeadStatus? Status = null, long? AgentId = null, long? ImportId = null,
    string? Search = null, bool? Unassigned = null, int Page = 1, int PageSize = 50);

/// <summary>An import as listed.</summary>
public sealed record ImportDto(long Id, string FileName, ImportPurpose Purpose, string? ImportedBy, DateTimeOffset CreatedAt,
    int Rows, int Accepted, int Duplicates, int Rejected, int Warnings);

/// <summary>A source with its lead counts: all leads, and unassigned ones waiting in the working pool.</summary>
public sealed record SourceCounts(long Id, string Name, int Leads, int Unassigned);

/// <summary>Assignments made since a point in time (e.g. today's start), for one source.</summary>
public sealed record SourceAssignedSince(string Source, int Assigned);

/// <summary>The admin overview's numbers: leads, unassigned (working pool), assigned, reserve; assignments since a time per source.</summary>
public sealed record LeadOverview(int Leads, int Unassigned, int Assigned, int Reserve, IReadOnlyList<SourceAssignedSince> AssignedSince);

/// <summary>Lead and import queries shared by API, CLI and dashboard.</summary>
public sealed class LeadQueries(IDbContextFactory<LeadRouterDb> dbs)
{
    /// <summary>A filtered page of leads, newest first.</summary>
    public async Task<Page<LeadDto>> ListAsync(LeadFilter f, CancellationToken ct)
    {
        var page = Math.Max(1, f.Page);
        var size = Math.Clamp(f.PageSize, 1, 500);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Leads.AsQueryable();
        if (f.Source is { } source) { var key = Source.KeyOf(source); q = q.Where(l => l.Source!.Key == key); }
        if (f.Status is { } status) q = q.Where(l => l.Status == status);
        if (f.AgentId is { } agent) q = q.Where(l => l.AgentId == agent);
        if (f.ImportId is { } import) q = q.Where(l => l.ImportId == import);
        if (f.Unassigned == true) q = q.Where(l => l.AgentId == null);
        if (!string.IsNullOrWhiteSpace(f.Search))
        {
            var s = f.Search.Trim().ToLowerInvariant();
            q = q.Where(l => (l.Email != null && l.Email.Contains(s)) || (l.Name != null && l.Name.ToLower().Contains(s)) || (l.Phone != null && l.Phone.Contains(s)));
        }

        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(l => l.Id).Skip((page - 1) * size).Take(size)
            .Select(l => new LeadDto(l.Id, l.ExternalId, l.Name, l.Email, l.Phone, l.Company, l.Address, l.City, l.Country, l.Amount,
                l.Grade, l.Score, l.Source != null ? l.Source.Name : null, l.Status, l.AgentId,
                db.Agents.Where(a => a.Id == l.AgentId).Select(a => a.Name).FirstOrDefault(), l.ImportId, l.Attributes, l.CreatedAt, l.AssignedAt))
            .ToListAsync(ct);
        return new Page<LeadDto>(items, total, page, size);
    }

    /// <summary>
    /// An agent's own leads, fresh first: untouched (Pending) leads, then the others; newest assignment first within each.
    /// </summary>
    public async Task<Page<LeadDto>> AgentLeadsAsync(long agentId, int page, int pageSize, CancellationToken ct)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 500);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Leads.Where(l => l.AgentId == agentId);
        var total = await q.CountAsync(ct);
        var items = await q.OrderBy(l => l.Status == LeadStatus.Pending ? 0 : 1).ThenByDescending(l => l.Id)
            .Skip((page - 1) * pageSize).Take(pageSize)
            .Select(l => new LeadDto(l.Id, l.ExternalId, l.Name, l.Email, l.Phone, l.Company, l.Address, l.City, l.Country, l.Amount,
                l.Grade, l.Score, l.Source != null ? l.Source.Name : null, l.Status, l.AgentId, null, l.ImportId, l.Attributes,
                l.CreatedAt, l.AssignedAt))
            .ToListAsync(ct);
        return new Page<LeadDto>(items, total, page, pageSize);
    }

    /// <summary>Every source by name with its lead count and unassigned (New, no agent) count.</summary>
    public async Task<IReadOnlyList<SourceCounts>> SourcesAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var counts = await db.Leads.Where(l => l.SourceId != null).GroupBy(l => l.SourceId!.Value)
            .Select(g => new { g.Key, Leads = g.Count(), Unassigned = g.Count(l => l.Status == LeadStatus.New && l.AgentId == null) })
            .ToDictionaryAsync(x => x.Key, ct);
        var sources = await db.Sources.OrderBy(s => s.Name).Select(s => new { s.Id, s.Name }).ToListAsync(ct);
        return sources.Select(s => new SourceCounts(s.Id, s.Name, counts.GetValueOrDefault(s.Id)?.Leads ?? 0,
            counts.GetValueOrDefault(s.Id)?.Unassigned ?? 0)).ToList();
    }

    /// <summary>Lead totals, and the assignments made at or after <paramref name="since"/> (UTC) per source.</summary>
    public async Task<LeadOverview> OverviewAsync(DateTimeOffset since, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var byStatus = await db.Leads.GroupBy(l => new { l.Status, HasAgent = l.AgentId != null })
            .Select(g => new { g.Key.Status, g.Key.HasAgent, Count = g.Count() }).ToListAsync(ct);
        var assignedSince = await (from a in db.Assignments
                                   join s in db.Sources on a.SourceId equals s.Id
                                   where a.AssignedAt >= since
                                   group a by s.Name into g
                                   select new SourceAssignedSince(g.Key, g.Count())).ToListAsync(ct);
        return new LeadOverview(
            byStatus.Sum(x => x.Count),
            byStatus.Where(x => x.Status == LeadStatus.New && !x.HasAgent).Sum(x => x.Count),
            byStatus.Where(x => x.HasAgent).Sum(x => x.Count),
            byStatus.Where(x => x.Status == LeadStatus.Reserve).Sum(x => x.Count),
            assignedSince.OrderByDescending(x => x.Assigned).ThenBy(x => x.Source).ToList());
    }

    /// <summary>Imports, newest first.</summary>
    public async Task<Page<ImportDto>> ImportsAsync(int page, int pageSize, CancellationToken ct)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 500);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var total = await db.Imports.CountAsync(ct);
        var items = await db.Imports.OrderByDescending(i => i.Id).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(i => new ImportDto(i.Id, i.FileName, i.Purpose, i.ImportedBy, i.CreatedAt, i.Rows, i.Accepted, i.Duplicates, i.Rejected, i.Warnings))
            .ToListAsync(ct);
        return new Page<ImportDto>(items, total, page, pageSize);
    }
}
