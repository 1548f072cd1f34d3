using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

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

/// <summary>Demand and supply now: eligible members, their leads per run together, and the weeks the supply lasts.</summary>
public sealed record DistributionEstimate(int EligibleMembers, int LeadsPerRun, int EstimatedWeeks);

/// <summary>Read side of distributions: the list of member imports and estimates.</summary>
public sealed class DistributionQueries(IDbContextFactory<LeadRouterDb> dbs, IOptions<MembersOptions> options)
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
                              i.Id, i.FileName, i.Accepted, i.ImportedBy, i.CreatedAt,
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

    /// <summary>
    /// Eligible members, their leads per run together, and the weeks <paramref name="leads"/> fresh leads last at one run
    /// a week: ⌈leads × MaxSharesPerLead / Σ leads per run⌉, and no more weeks than the largest tier needs to see every
    /// lead once (⌈leads / smallest allocation⌉ caps it: a member never gets a lead twice). 0 when nobody is eligible.
    /// </summary>
    public async Task<DistributionEstimate> EstimateAsync(int leads, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var wants = await db.Members.Where(m => !m.Suspended && m.Tier!.Eligible && m.Tier.LeadsPerRun > 0)
            .Select(m => m.Tier!.LeadsPerRun).ToListAsync(ct);
        if (wants.Count == 0 || leads == 0) return new DistributionEstimate(wants.Count, wants.Sum(), 0);
        long demand = wants.Sum();
        var byCapacity = (long)leads * options.Value.MaxSharesPerLead;
        var weeks = (int)Math.Min((byCapacity + demand - 1) / demand, (leads + wants.Min() - 1) / wants.Min());
        return new DistributionEstimate(wants.Count, (int)demand, weeks);
    }
}
