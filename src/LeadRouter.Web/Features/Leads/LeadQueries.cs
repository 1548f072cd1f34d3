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
