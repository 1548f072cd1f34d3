using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Members;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Members;

/// <summary>
/// One member import as seed 002 lists it ("distribution"): file, leads, status of its manual run, who uploaded it and
/// when, processing times, shares made from its leads (all runs).
/// </summary>
public sealed record DistributionDto(long ImportId, string FileName, int TotalLeads, DistributionRunStatus Status, long? RunId,
    string? UploadedBy, DateTimeOffset UploadedAt, DateTimeOffset? ProcessingStartedAt, DateTimeOffset? ProcessingCompletedAt,
    int SharesMade, int MembersServed, string? Error, string? Warning, MemberImportStatus ImportStatus);

/// <summary>A page of distributions, newest first.</summary>
public sealed record DistributionPage(IReadOnlyList<DistributionDto> Distributions, int TotalCount, int Page, int Limit, int TotalPages);

/// <summary>Demand and supply now: eligible members, their leads per run together, and the whole weeks the active imports last
/// (<see cref="DistributionOverview.EstimateAsync"/>).</summary>
public sealed record DistributionEstimate(int EligibleMembers, int LeadsPerRun, int EstimatedWeeks);

/// <summary>Read side of distributions: the list of member imports.</summary>
public sealed class DistributionQueries(IDbContextFactory<LeadRouterDb> dbs)
{
    /// <summary>Member imports, newest first, with their manual run; <paramref name="limit"/> 1–100.</summary>
    public async Task<DistributionPage> ListAsync(int page, int limit, CancellationToken ct)
    {
        page = Math.Max(page, 1);
        limit = Math.Clamp(limit, 1, 100);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var imports = db.Imports.Where(i => i.Purpose == ImportPurpose.Members);
        var total = await imports.CountAsync(ct);
        var rows = await (from i in imports
                          join r in db.DistributionRuns on i.Id equals r.ImportId into runs
                          from r in runs.DefaultIfEmpty()
                          join s in db.MemberImports on i.Id equals s.ImportId into states
                          from s in states.DefaultIfEmpty()
                          orderby i.CreatedAt descending, i.Id descending
                          select new
                          {
                              i.Id,
                              i.FileName,
                              i.Accepted,
                              i.ImportedBy,
                              i.CreatedAt,
                              Status = r == null ? DistributionRunStatus.Queued : r.Status,
                              RunId = r == null ? (long?)null : r.Id,
                              Started = r == null ? null : r.StartedAt,
                              Completed = r == null ? null : r.CompletedAt,
                              Served = r == null ? 0 : r.MembersServed,
                              Error = r == null ? null : r.Error,
                              Warning = r == null ? null : r.Warning,
                              ImportStatus = s == null ? MemberImportStatus.Active : s.Status,
                          }).Skip((page - 1) * limit).Take(limit).ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var shares = await (from s in db.Shares
                            join l in db.Leads on s.LeadId equals l.Id
                            where ids.Contains(l.ImportId)
                            group s by l.ImportId into g
                            select new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var list = rows.Select(r => new DistributionDto(r.Id, r.FileName, r.Accepted, r.Status, r.RunId, r.ImportedBy, r.CreatedAt,
            r.Started, r.Completed, shares.GetValueOrDefault(r.Id), r.Served, r.Error, r.Warning, r.ImportStatus)).ToList();
        return new DistributionPage(list, total, page, limit, (total + limit - 1) / limit);
    }
}
