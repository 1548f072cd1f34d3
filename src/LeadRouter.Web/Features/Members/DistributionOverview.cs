using System.Text.Json.Serialization;
using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Members;
using LeadRouter.Domain.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Members;

/// <summary>One member import in the overview (seed 004's active / completed CSVs).</summary>
/// <param name="DistributionId">The import id (seed: distribution_id).</param>
/// <param name="FileName">Uploaded file name.</param>
/// <param name="TotalLeads">Leads stored from the file.</param>
/// <param name="Distributed">Shares made from its leads, all runs.</param>
/// <param name="Remaining">Its leads that can still be shared (fewer than MaxSharesPerLead shares).</param>
/// <param name="RemainingShares">Share slots left: leads × MaxSharesPerLead − shares.</param>
/// <param name="ProgressPercent">Shares made / (leads × MaxSharesPerLead) × 100, one decimal.</param>
/// <param name="Status"><c>active</c> or <c>exhausted</c>.</param>
/// <param name="IsNext">True only on the oldest active import: the next run draws from it first.</param>
/// <param name="UploadedAt">When it was imported (UTC).</param>
/// <param name="ExhaustedAt">When its last lead reached the limit (UTC), else null.</param>
public sealed record OverviewImport(
    [property: JsonPropertyName("distribution_id")] long DistributionId,
    [property: JsonPropertyName("filename")] string FileName,
    [property: JsonPropertyName("total_leads")] int TotalLeads,
    [property: JsonPropertyName("distributed")] int Distributed,
    [property: JsonPropertyName("remaining")] int Remaining,
    [property: JsonPropertyName("remaining_shares")] long RemainingShares,
    [property: JsonPropertyName("progress_percent")] double ProgressPercent,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("is_next")] bool IsNext,
    [property: JsonPropertyName("uploaded_at")] DateTimeOffset UploadedAt,
    [property: JsonPropertyName("exhausted_at")] DateTimeOffset? ExhaustedAt);

/// <summary>
/// Seed 004's <c>GET /api/admin/leads/overview</c> (snake_case, also <c>leadrouter overview --json</c>). Lead counts are
/// over member imports. <c>remaining_leads</c> counts leads that can still be shared (fewer than MaxSharesPerLead
/// shares); <c>remaining_shares</c> the share slots left (leads × MaxSharesPerLead − shares); <c>distributed_leads</c>
/// the shares made (seed 004: "distributions made", so it can exceed total_leads). <c>estimated_weeks_remaining</c>
/// comes from <see cref="DistributionForecast"/>.
/// </summary>
public sealed record OverviewDto(
    [property: JsonPropertyName("total_leads")] int TotalLeads,
    [property: JsonPropertyName("remaining_leads")] int RemainingLeads,
    [property: JsonPropertyName("remaining_shares")] long RemainingShares,
    [property: JsonPropertyName("distributed_leads")] int DistributedLeads,
    [property: JsonPropertyName("max_shares_per_lead")] int MaxSharesPerLead,
    [property: JsonPropertyName("active_csvs_count")] int ActiveCsvsCount,
    [property: JsonPropertyName("exhausted_csvs_count")] int ExhaustedCsvsCount,
    [property: JsonPropertyName("active_csvs")] IReadOnlyList<OverviewImport> ActiveCsvs,
    [property: JsonPropertyName("exhausted_csvs")] IReadOnlyList<OverviewImport> ExhaustedCsvs,
    [property: JsonPropertyName("eligible_members")] int EligibleMembers,
    [property: JsonPropertyName("shares_per_run")] int SharesPerRun,
    [property: JsonPropertyName("runs_remaining")] int RunsRemaining,
    [property: JsonPropertyName("runs_per_week")] double RunsPerWeek,
    [property: JsonPropertyName("estimated_weeks_remaining")] double EstimatedWeeksRemaining,
    [property: JsonPropertyName("estimate_capped")] bool EstimateCapped,
    [property: JsonPropertyName("next_scheduled_run")] DateTimeOffset? NextScheduledRun,
    [property: JsonPropertyName("next_schedule_name")] string? NextScheduleName);

/// <summary>
/// The members overview (seed 004) and the weeks estimate shown on upload: both replay future runs with the real
/// allocation over the current eligible members, active imports' leads and shares so far
/// (<see cref="DistributionForecast.Estimate"/>), at the enabled schedules' runs per week (one a week when none is
/// enabled), capped at 520 weeks.
/// </summary>
public sealed class DistributionOverview(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, IOptions<MembersOptions> options)
{
    /// <summary>The overview as of now.</summary>
    public async Task<OverviewDto> GetAsync(CancellationToken ct)
    {
        var max = options.Value.MaxSharesPerLead;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var imports = await (from i in db.Imports
                             where i.Purpose == ImportPurpose.Members
                             join s in db.MemberImports on i.Id equals s.ImportId into states
                             from s in states.DefaultIfEmpty()
                             orderby i.CreatedAt, i.Id
                             select new
                             {
                                 i.Id,
                                 i.FileName,
                                 i.CreatedAt,
                                 Exhausted = s != null && s.Status == MemberImportStatus.Exhausted,
                                 ExhaustedAt = s == null ? null : s.ExhaustedAt,
                             }).ToListAsync(ct);
        var state = await LoadStateAsync(db, imports.Select(i => i.Id).ToList(), ct);
        var perImport = state.Leads.GroupBy(l => l.ImportId).ToDictionary(g => g.Key, g => (
            Total: g.Count(),
            Shares: g.Sum(l => state.SharesOf(l.LeadId)),
            Remaining: g.Count(l => state.SharesOf(l.LeadId) < max)));

        OverviewImport Dto(int index, bool next)
        {
            var i = imports[index];
            var (total, shares, remaining) = perImport.GetValueOrDefault(i.Id);
            var slots = (long)total * max;
            return new OverviewImport(i.Id, i.FileName, total, shares, remaining, Math.Max(0, slots - shares),
                slots == 0 ? 100 : Math.Round(100.0 * shares / slots, 1), i.Exhausted ? "exhausted" : "active", next, i.CreatedAt, i.ExhaustedAt);
        }

        var active = Enumerable.Range(0, imports.Count).Where(x => !imports[x].Exhausted).ToList();
        var activeDtos = active.Select((x, n) => Dto(x, n == 0)).ToList();
        var exhaustedDtos = Enumerable.Range(0, imports.Count).Where(x => imports[x].Exhausted)
            .OrderByDescending(x => imports[x].ExhaustedAt).ThenByDescending(x => imports[x].CreatedAt).Select(x => Dto(x, false)).ToList();

        var (runsPerWeek, next, nextName) = await ScheduleOutlookAsync(db, ct);
        var forecast = Forecast(state, active.Select(x => imports[x].Id).ToHashSet(), runsPerWeek);
        var totalShares = perImport.Values.Sum(v => v.Shares);
        return new OverviewDto(
            perImport.Values.Sum(v => v.Total), activeDtos.Sum(a => a.Remaining), activeDtos.Sum(a => a.RemainingShares), totalShares, max,
            activeDtos.Count, exhaustedDtos.Count, activeDtos, exhaustedDtos, state.Members.Count, state.Members.Sum(m => m.Wanted),
            forecast.Runs, Math.Round(runsPerWeek, 3), forecast.Weeks, forecast.Capped, next, nextName);
    }

    /// <summary>Leads of active member imports that can still be shared (fewer than MaxSharesPerLead shares).</summary>
    public async Task<int> RemainingLeadsAsync(CancellationToken ct)
    {
        var max = options.Value.MaxSharesPerLead;
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Leads.Where(l => db.Imports.Any(i => i.Id == l.ImportId && i.Purpose == ImportPurpose.Members)
                && !db.MemberImports.Any(m => m.ImportId == l.ImportId && m.Status == MemberImportStatus.Exhausted)
                && db.Shares.Count(s => s.LeadId == l.Id) < max)
            .CountAsync(ct);
    }

    /// <summary>Eligible members, leads per run together, and whole weeks the active imports last (the upload answer).</summary>
    public async Task<DistributionEstimate> EstimateAsync(CancellationToken ct)
    {
        var o = await GetAsync(ct);
        return new DistributionEstimate(o.EligibleMembers, o.SharesPerRun, (int)Math.Ceiling(o.EstimatedWeeksRemaining));
    }

    ForecastResult Forecast(SupplyState state, IReadOnlySet<long> activeImports, double runsPerWeek)
    {
        var rank = state.ImportOrder.Where(activeImports.Contains).Select((id, n) => (id, n)).ToDictionary(x => x.id, x => (long)x.n);
        var leads = state.Leads.Where(l => activeImports.Contains(l.ImportId))
            .Select(l => new LeadSupply(l.LeadId, (rank[l.ImportId] << 40) | l.LeadId, state.SharesOf(l.LeadId))).ToList();
        var leadSet = leads.Select(l => l.LeadId).ToHashSet();
        return DistributionForecast.Estimate(state.Members, leads, state.Prior.Where(p => leadSet.Contains(p.LeadId)),
            options.Value.MaxSharesPerLead, runsPerWeek);
    }

    /// <summary>Runs per week of the enabled schedules (1 when none) and the next occurrence among them.</summary>
    async Task<(double RunsPerWeek, DateTimeOffset? Next, string? Name)> ScheduleOutlookAsync(LeadRouterDb db, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var schedules = (await db.DistributionSchedules.AsNoTracking().Where(s => s.Enabled).ToListAsync(ct))
            .Where(s => ScheduleTimes.Validate(s.Rule) is null).ToList();
        if (schedules.Count == 0) return (1, null, null);
        var next = schedules.Select(s => (s.Name, At: ScheduleTimes.Next(s.Rule, now))).OrderBy(x => x.At).ThenBy(x => x.Name, StringComparer.Ordinal).First();
        return (schedules.Sum(s => ScheduleTimes.RunsPerWeek(s.Rule)), next.At, next.Name);
    }

    sealed record LeadRow(long LeadId, long ImportId);

    sealed record SupplyState(IReadOnlyList<long> ImportOrder, IReadOnlyList<LeadRow> Leads, IReadOnlyDictionary<long, int> Shares,
        IReadOnlyList<(long MemberId, long LeadId)> Prior, IReadOnlyList<MemberDemand> Members)
    {
        public int SharesOf(long leadId) => Shares.GetValueOrDefault(leadId);
    }

    static async Task<SupplyState> LoadStateAsync(LeadRouterDb db, List<long> importIds, CancellationToken ct)
    {
        var leads = await db.Leads.Where(l => importIds.Contains(l.ImportId)).Select(l => new LeadRow(l.Id, l.ImportId)).ToListAsync(ct);
        var prior = new List<(long MemberId, long LeadId)>();
        await foreach (var p in (from s in db.Shares
                                 join l in db.Leads on s.LeadId equals l.Id
                                 where importIds.Contains(l.ImportId)
                                 select new { s.MemberId, s.LeadId }).AsAsyncEnumerable().WithCancellation(ct))
            prior.Add((p.MemberId, p.LeadId));
        var shares = new Dictionary<long, int>();
        foreach (var (_, leadId) in prior) shares[leadId] = shares.GetValueOrDefault(leadId) + 1;
        var members = await db.Members.Where(m => !m.Suspended && m.Tier!.Eligible && m.Tier.LeadsPerRun > 0)
            .OrderBy(m => m.Id).Select(m => new MemberDemand(m.Id, m.Tier!.LeadsPerRun)).ToListAsync(ct);
        return new SupplyState(importIds, leads, shares, prior, members);
    }
}
