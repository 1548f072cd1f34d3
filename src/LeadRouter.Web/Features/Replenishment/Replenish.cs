using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Agents;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Replenishment;
using LeadRouter.Domain.Replenishment;
using LeadRouter.Web.Features.Agents;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Replenishment;

/// <summary>
/// What a replenishment run did: released count per grade, or why it held (<see cref="BlockedBy"/>, e.g.
/// <c>cooldown</c>), the reasons, per-grade targets, duplicates skipped, and the leads assigned afterwards; when it ran
/// (UTC) and what started it (manual, background).
/// </summary>
public sealed record ReplenishmentResult(long RunId, int Released, string? BlockedBy, IReadOnlyList<string> Reasons,
    IReadOnlyDictionary<string, int> Targets, IReadOnlyDictionary<string, int> ReleasedByGrade, int SkippedDuplicates,
    int Assigned, ReplenishmentMetricsDto Metrics, DateTimeOffset? RanAt = null, string? Trigger = null);

/// <summary>The metrics a run read from the database (never estimated).</summary>
public sealed record ReplenishmentMetricsDto(IReadOnlyDictionary<string, int> AvailableByGrade, int AvailableTotal, int ActiveAgents,
    int ReleasedToday, DateTimeOffset? LastReleaseAt, int ReserveTotal, IReadOnlyDictionary<string, double> ConversionRate30Days);

/// <summary>
/// Seed 001's replenishment, honest: reads metrics from the database, plans with
/// <see cref="ReplenishmentPlanner.Plan"/>, releases the chosen reserve leads (status Reserve → New) in one
/// transaction with a run log row, then lets the pools assign them. Runs are serialised by the settings row lock.
/// If metrics cannot be read the run releases nothing and says why.
/// </summary>
public sealed class Replenish(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, LeadAssigner assigner, ILogger<Replenish> log)
{
    /// <summary>The stored policy (seed 001's JSON), or the defaults.</summary>
    public async Task<(ReplenishmentPolicy Policy, string Json)> GetPolicyAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var json = await db.ReplenishmentSettings.Where(s => s.Id == ReplenishmentSettings.SingletonId).Select(s => s.PolicyJson).SingleOrDefaultAsync(ct);
        return json is null ? (ReplenishmentPolicy.Default, DefaultPolicyJson) : (Parse(json), json);
    }

    /// <summary>Validates and stores a policy given as seed 001's JSON (<c>//</c> comments allowed).</summary>
    /// <exception cref="InputException">Every bad field, named by its JSON path; nothing is stored.</exception>
    public async Task<ReplenishmentPolicy> SavePolicyAsync(string json, CancellationToken ct)
    {
        var policy = Parse(json);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var row = await db.ReplenishmentSettings.FindAsync([ReplenishmentSettings.SingletonId], ct);
        if (row is null) db.ReplenishmentSettings.Add(row = new ReplenishmentSettings());
        row.PolicyJson = json;
        row.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return policy;
    }

    static ReplenishmentPolicy Parse(string json) => ReplenishmentPolicy.Parse(json) switch
    {
        PolicyParseResult.Valid v => v.Policy,
        PolicyParseResult.Invalid i => throw new InputException(i.Errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray())),
        _ => throw new InvalidOperationException("Unknown parse result"),
    };

    /// <summary>Runs once: plan, release, log, assign. <paramref name="trigger"/> is recorded (manual, background).</summary>
    public async Task<ReplenishmentResult> RunOnceAsync(string trigger, CancellationToken ct)
    {
        var (policy, _) = await GetPolicyAsync(ct);
        var now = clock.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await db.ReplenishmentSettings.Where(s => s.Id == ReplenishmentSettings.SingletonId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Version, x => x.Version + 1), ct) == 0)
        {
            db.ReplenishmentSettings.Add(new ReplenishmentSettings { UpdatedAt = now, Version = 1 });
            await db.SaveChangesAsync(ct);
        }

        ReplenishmentMetrics? metrics = null;
        string? error = null;
        try
        {
            metrics = await ReadMetricsAsync(db, policy, now, ct);
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            error = $"Metrics could not be read: {e.GetBaseException().Message}";
            log.LogError(e, "Replenishment metrics could not be read; nothing released");
        }

        var decision = ReplenishmentPlanner.Plan(policy, metrics, now);
        var run = new ReplenishmentRun { RanAt = now, Trigger = trigger, Error = error, Metrics = metrics is null ? null : JsonSerializer.Serialize(ToDto(metrics)) };
        var releasedSources = new List<long>();
        switch (decision)
        {
            case ReplenishmentDecision.Release release:
                var ids = release.LeadIds.ToList();
                foreach (var chunk in ids.Chunk(500))
                {
                    var n = await db.Leads.Where(l => chunk.Contains(l.Id) && l.Status == LeadStatus.Reserve)
                        .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LeadStatus.New).SetProperty(l => l.StatusChangedAt, now), ct);
                    if (n != chunk.Length) throw new InvalidOperationException("A reserve lead changed during the run; nothing was released.");
                }

                releasedSources = await db.Leads.Where(l => ids.Contains(l.Id) && l.SourceId != null).Select(l => l.SourceId!.Value).Distinct().ToListAsync(ct);
                run.Released = release.Count;
                run.Reasons = JsonSerializer.Serialize(release.Reasons);
                run.Targets = JsonSerializer.Serialize(release.Targets);
                run.ReleasedByGrade = JsonSerializer.Serialize(release.LeadIdsByGrade.ToDictionary(g => g.Key, g => g.Value.Count));
                run.SkippedDuplicates = release.SkippedDuplicates.Count;
                break;
            case ReplenishmentDecision.Hold hold:
                run.BlockedBy = hold.BlockedBy;
                run.Reasons = JsonSerializer.Serialize(hold.Reasons);
                break;
        }

        db.ReplenishmentRuns.Add(run);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        var assigned = 0;
        foreach (var sourceId in releasedSources)
            assigned += (await assigner.AssignSourceAsync(sourceId, AssignmentTrigger.Release, ct))?.Assigned ?? 0;
        return ToResult(run, assigned, metrics);
    }

    /// <summary>Runs, newest first.</summary>
    public async Task<Page<ReplenishmentResult>> RunsAsync(int page, int pageSize, CancellationToken ct)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 200);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var total = await db.ReplenishmentRuns.CountAsync(ct);
        var runs = await db.ReplenishmentRuns.OrderByDescending(r => r.Id).Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        return new Page<ReplenishmentResult>(runs.Select(r => ToResult(r, 0, null)).ToList(), total, page, pageSize);
    }

    static ReplenishmentResult ToResult(ReplenishmentRun run, int assigned, ReplenishmentMetrics? metrics) => new(
        run.Id, run.Released, run.BlockedBy ?? (run.Error is null ? null : "metrics_unavailable"),
        Read<List<string>>(run.Reasons) ?? (run.Error is null ? [] : [run.Error]),
        Read<Dictionary<string, int>>(run.Targets) ?? [], Read<Dictionary<string, int>>(run.ReleasedByGrade) ?? [],
        run.SkippedDuplicates, assigned, metrics is null ? Read<ReplenishmentMetricsDto>(run.Metrics) ?? Empty : ToDto(metrics), run.RanAt, run.Trigger);

    static readonly ReplenishmentMetricsDto Empty = new(new Dictionary<string, int>(), 0, 0, 0, null, 0, new Dictionary<string, double>());

    static T? Read<T>(string? json) => json is null ? default : JsonSerializer.Deserialize<T>(json);

    static ReplenishmentMetricsDto ToDto(ReplenishmentMetrics m) => new(m.AvailableByGrade, m.AvailableTotal, m.ActiveAgents, m.ReleasedToday,
        m.LastReleaseAt, m.Reserve.Count, m.ConversionRate30Days ?? new Dictionary<string, double>());

    /// <summary>
    /// Reads the metrics: available leads (New, Pending, Contacted, Qualified) per grade; active agents (active and not
    /// away); leads released since the start of today in the policy's time zone; the last release time; the reserve;
    /// e-mails and phones in the working pool; and per grade the conversion rate of the last 30 days = leads assigned in
    /// those 30 days that are now Converted ÷ leads assigned in those 30 days (grades with no assignment have no rate).
    /// </summary>
    static async Task<ReplenishmentMetrics> ReadMetricsAsync(LeadRouterDb db, ReplenishmentPolicy policy, DateTimeOffset now, CancellationToken ct)
    {
        var open = new[] { LeadStatus.New, LeadStatus.Pending, LeadStatus.Contacted, LeadStatus.Qualified };
        var available = (await db.Leads.Where(l => open.Contains(l.Status)).GroupBy(l => l.Grade)
                .Select(g => new { Grade = g.Key, Count = g.Count() }).ToListAsync(ct))
            .GroupBy(x => GradeOf(x.Grade)).ToDictionary(g => g.Key, g => g.Sum(x => x.Count));
        var activeAgents = await db.Agents.CountAsync(a => a.Active && !a.Away, ct);
        var dayStart = policy.DayStart(now);
        var releasedToday = await db.ReplenishmentRuns.Where(r => r.RanAt >= dayStart).SumAsync(r => r.Released, ct);
        var lastRelease = await db.ReplenishmentRuns.Where(r => r.Released > 0).OrderByDescending(r => r.RanAt).Select(r => (DateTimeOffset?)r.RanAt).FirstOrDefaultAsync(ct);
        var reserve = (await db.Leads.Where(l => l.Status == LeadStatus.Reserve)
                .Select(l => new { l.Id, l.Grade, l.Score, l.Email, l.Phone }).ToListAsync(ct))
            .Select(l => new ReserveLead(l.Id, GradeOf(l.Grade), l.Score, l.Email, l.Phone)).ToList();
        var pool = await db.Leads.Where(l => open.Contains(l.Status)).Select(l => new { l.Email, l.Phone }).ToListAsync(ct);
        var since = now.AddDays(-30);
        var conversion = (await db.Leads.Where(l => l.AssignedAt != null && l.AssignedAt >= since)
                .GroupBy(l => l.Grade).Select(g => new { Grade = g.Key, Assigned = g.Count(), Converted = g.Count(l => l.Status == LeadStatus.Converted) })
                .ToListAsync(ct))
            .GroupBy(x => GradeOf(x.Grade))
            .ToDictionary(g => g.Key, g => (double)g.Sum(x => x.Converted) / g.Sum(x => x.Assigned));
        return new ReplenishmentMetrics(available, activeAgents, releasedToday, lastRelease, reserve,
            pool.Where(p => p.Email != null).Select(p => p.Email!).ToHashSet(StringComparer.OrdinalIgnoreCase),
            pool.Where(p => p.Phone != null).Select(p => p.Phone!).ToHashSet(), conversion.Count == 0 ? null : conversion);
    }

    /// <summary>Leads without a grade count as grade "ungraded".</summary>
    static string GradeOf(string? grade) => string.IsNullOrWhiteSpace(grade) ? "ungraded" : Grades.Normalize(grade);

    /// <summary>The defaults in seed 001's format, for editing.</summary>
    public const string DefaultPolicyJson = """
        {
          "lead_inventory_thresholds": {
            "min_total_leads": 50,
            "target_total_leads": 150,
            "min_priority_leads": { "A+": 10, "A": 30, "B": 20 }
          },
          "upload_controls": {
            "max_upload_per_run": 100,
            "max_daily_uploads": 500,
            "min_time_between_uploads_hours": 1
          },
          "priority_mix": { "A+": 20, "A": 50, "B": 30 },
          "time_zone": "UTC"
        }
        """;
}
