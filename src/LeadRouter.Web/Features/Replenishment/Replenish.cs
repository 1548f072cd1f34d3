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
/// What a replenishment run did (the CLI's <c>--json</c> contract): leads released per grade, duplicates skipped, the
/// reasons, and <see cref="BlockedBy"/> when it held (<c>metrics_error</c>, <c>business_hours</c>, <c>cooldown</c>,
/// <c>daily_cap</c>, <c>sufficient</c>, <c>reserve_empty</c>). A dry run reports what it would release and changes nothing.
/// <c>RunId</c> is null for a dry run or when the database could not be written; <c>WaitMinutes</c> is set with
/// <c>cooldown</c>; <c>Errors</c> counts chosen leads not released; <c>Assigned</c> counts released leads the sources'
/// pools assigned right after; <c>RanAt</c> (UTC) and <c>Trigger</c> (manual, background) when it was logged.
/// </summary>
public sealed record ReplenishmentResult(long? RunId, bool DryRun, int Released, IReadOnlyDictionary<string, int> ByGrade, int DuplicatesSkipped,
    IReadOnlyList<string> Reasons, string? BlockedBy, int? WaitMinutes, IReadOnlyDictionary<string, int> Targets, int Errors, int Assigned,
    ReplenishmentMetricsDto Metrics, DateTimeOffset? RanAt = null, string? Trigger = null);

/// <summary>
/// The metrics a run read from the database (never estimated). <c>Total</c>: leads outside the reserve, closed ones
/// included; <c>AvailableTotal</c>: leads in the working pool (not in reserve, not Converted or Lost), what the plan
/// counts; <c>ReserveTotal</c>: leads in reserve, duplicates included.
/// </summary>
public sealed record ReplenishmentMetricsDto(int Total, int AvailableTotal, IReadOnlyDictionary<string, int> AvailableByGrade, int ActiveAgents,
    int ReleasedToday, DateTimeOffset? LastReleaseAt, int ReserveTotal, IReadOnlyDictionary<string, double> ConversionRate30Days);

/// <summary>One replenishment run: what started it (<c>manual</c>, <c>background</c>, <c>cli</c>), whether to change
/// nothing, and a policy to use instead of the stored one (e.g. <c>--config</c> with <c>--dry-run</c>).</summary>
public sealed record ReplenishRequest(string Trigger, bool DryRun = false, ReplenishmentPolicy? Policy = null);

/// <summary>
/// Seed 001's replenishment, honest: reads metrics from the database, plans with
/// <see cref="ReplenishmentPlanner.Plan"/>, releases the chosen reserve leads (status Reserve → New) in one
/// transaction with a run log row, then lets the sources' pools assign them. Runs are serialised by the settings row
/// lock, and each lead moves with a conditional update (Reserve → New), so no lead is released twice.
/// If metrics cannot be read the run releases nothing and says why (<c>metrics_error</c>).
/// </summary>
public sealed class Replenish(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, LeadAssigner assigner, ILogger<Replenish> log)
{
    static readonly LeadStatus[] Open = [LeadStatus.New, LeadStatus.Pending, LeadStatus.Contacted, LeadStatus.Qualified];

    /// <summary>The stored policy (seed 001's JSON), or the defaults.</summary>
    public async Task<(ReplenishmentPolicy Policy, string Json)> GetPolicyAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var json = await db.ReplenishmentSettings.Where(s => s.Id == ReplenishmentSettings.SingletonId).Select(s => s.PolicyJson).SingleOrDefaultAsync(ct);
        return json is null ? (ReplenishmentPolicy.Default, DefaultPolicyJson) : (ParsePolicy(json), json);
    }

    /// <summary>Validates and stores a policy given as seed 001's JSON (<c>//</c> comments allowed).</summary>
    /// <exception cref="InputException">Every bad field, named by its JSON path; nothing is stored.</exception>
    public async Task<ReplenishmentPolicy> SavePolicyAsync(string json, CancellationToken ct)
    {
        var policy = ParsePolicy(json);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var row = await db.ReplenishmentSettings.FindAsync([ReplenishmentSettings.SingletonId], ct);
        if (row is null) db.ReplenishmentSettings.Add(row = new ReplenishmentSettings());
        row.PolicyJson = json;
        row.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return policy;
    }

    /// <summary>Parses seed 001's JSON policy.</summary>
    /// <exception cref="InputException">Every bad field, named by its JSON path.</exception>
    public static ReplenishmentPolicy ParsePolicy(string json) => ReplenishmentPolicy.Parse(json) switch
    {
        PolicyParseResult.Valid v => v.Policy,
        PolicyParseResult.Invalid i => throw new InputException(i.Errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray())),
        _ => throw new InvalidOperationException("Unknown parse result"),
    };

    /// <summary>Runs once with the stored policy: plan, release, log, assign.</summary>
    public Task<ReplenishmentResult> RunOnceAsync(string trigger, CancellationToken ct) => RunOnceAsync(new ReplenishRequest(trigger), ct);

    /// <summary>Runs once: lock, read metrics, plan, release and log in one transaction, then assign. A dry run rolls back.</summary>
    public async Task<ReplenishmentResult> RunOnceAsync(ReplenishRequest request, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var policy = request.Policy;
        Loaded? loaded = null;
        string? error = null;
        await using var db = await dbs.CreateDbContextAsync(ct);
        Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction? tx = null;
        try
        {
            policy ??= (await GetPolicyAsync(ct)).Policy;
            tx = await db.Database.BeginTransactionAsync(ct);
            await LockAsync(db, now, ct);
            loaded = await ReadMetricsAsync(db, policy, now, ct);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or DbUpdateException or InvalidOperationException or TimeoutException)
        {
            error = $"metrics_error: the metrics could not be read ({e.GetBaseException().Message}); nothing is released";
            log.LogError(e, "Replenishment metrics could not be read; nothing released");
            if (tx is not null) await TryRollbackAsync(tx);
        }

        await using var _ = tx;
        policy ??= ReplenishmentPolicy.Default;
        var decision = ReplenishmentPlanner.Plan(policy, loaded?.Metrics, now);
        var run = new ReplenishmentRun
        {
            RanAt = now,
            Trigger = request.Trigger,
            Error = error,
            Metrics = loaded is null ? null : JsonSerializer.Serialize(loaded.Dto),
        };
        var releasedIds = new List<long>();
        int? wait = null;
        switch (decision)
        {
            case ReplenishmentDecision.Release release:
                releasedIds = release.LeadIds.ToList();
                run.Released = release.Count;
                run.Reasons = JsonSerializer.Serialize(release.Reasons);
                run.Targets = JsonSerializer.Serialize(release.Targets);
                run.ReleasedByGrade = JsonSerializer.Serialize(release.LeadIdsByGrade.ToDictionary(g => g.Key, g => g.Value.Count));
                run.SkippedDuplicates = release.SkippedDuplicates.Count;
                break;
            case ReplenishmentDecision.Hold hold:
                run.BlockedBy = hold.BlockedBy;
                run.Reasons = JsonSerializer.Serialize(error is null ? hold.Reasons : [error, .. hold.Reasons.Skip(1)]);
                wait = hold.NextAllowedAt is { } next ? ReplenishmentPlanner.WaitMinutes(now, next) : null;
                break;
        }

        if (request.DryRun || loaded is null)
        {
            if (tx is not null && loaded is not null) await tx.RollbackAsync(ct);
            if (!request.DryRun) await TryLogFailedRunAsync(run, ct);
            return ToResult(run, request.DryRun, 0, loaded?.Dto) with { WaitMinutes = wait };
        }

        foreach (var chunk in releasedIds.Chunk(1000))
        {
            var n = await db.Leads.Where(l => chunk.Contains(l.Id) && l.Status == LeadStatus.Reserve)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LeadStatus.New).SetProperty(l => l.StatusChangedAt, now), ct);
            if (n != chunk.Length) throw new InvalidOperationException("A reserve lead changed during the run; nothing was released.");
        }

        db.ReplenishmentRuns.Add(run);
        await db.SaveChangesAsync(ct);
        await tx!.CommitAsync(ct);

        var assigned = 0;
        foreach (var sourceId in releasedIds.Select(id => loaded.SourceOf.GetValueOrDefault(id)).OfType<long>().Distinct())
            assigned += (await assigner.AssignSourceAsync(sourceId, AssignmentTrigger.Release, ct))?.Assigned ?? 0;
        return ToResult(run, false, assigned, loaded.Dto) with { WaitMinutes = wait };
    }

    /// <summary>Serialises runs across processes: bumps the settings row's version inside the run's transaction.</summary>
    static async Task LockAsync(LeadRouterDb db, DateTimeOffset now, CancellationToken ct)
    {
        if (await db.ReplenishmentSettings.Where(s => s.Id == ReplenishmentSettings.SingletonId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Version, x => x.Version + 1), ct) == 0)
        {
            db.ReplenishmentSettings.Add(new ReplenishmentSettings { UpdatedAt = now, Version = 1 });
            await db.SaveChangesAsync(ct);
        }
    }

    async Task TryRollbackAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx)
    {
        try
        {
            await tx.RollbackAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            log.LogWarning(e, "Rollback after a metrics failure failed");
        }
    }

    /// <summary>Logs a run that could not read its metrics, on a fresh connection; if the database is down too, only the app log has it.</summary>
    async Task TryLogFailedRunAsync(ReplenishmentRun run, CancellationToken ct)
    {
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            db.ReplenishmentRuns.Add(run);
            await db.SaveChangesAsync(ct);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or DbUpdateException or InvalidOperationException)
        {
            log.LogWarning(e, "The failed replenishment run could not be logged either");
        }
    }

    /// <summary>Runs, newest first.</summary>
    public async Task<Page<ReplenishmentResult>> RunsAsync(int page, int pageSize, CancellationToken ct)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 200);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var total = await db.ReplenishmentRuns.CountAsync(ct);
        var runs = await db.ReplenishmentRuns.OrderByDescending(r => r.Id).Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        return new Page<ReplenishmentResult>(runs.Select(r => ToResult(r, false, 0, null)).ToList(), total, page, pageSize);
    }

    /// <summary>The last run (for <c>/health</c>), or null when there has been none.</summary>
    public async Task<ReplenishmentRun?> LastRunAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.ReplenishmentRuns.AsNoTracking().OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct);
    }

    static ReplenishmentResult ToResult(ReplenishmentRun run, bool dryRun, int assigned, ReplenishmentMetricsDto? metrics) => new(
        run.Id == 0 ? null : run.Id, dryRun, run.Released, Read<Dictionary<string, int>>(run.ReleasedByGrade) ?? [], run.SkippedDuplicates,
        Read<List<string>>(run.Reasons) ?? (run.Error is null ? [] : [run.Error]), run.BlockedBy, null,
        Read<Dictionary<string, int>>(run.Targets) ?? [], 0, assigned, metrics ?? Read<ReplenishmentMetricsDto>(run.Metrics) ?? Empty,
        run.Id == 0 ? null : run.RanAt, run.Id == 0 ? null : run.Trigger);

    static readonly ReplenishmentMetricsDto Empty = new(0, 0, new Dictionary<string, int>(), 0, 0, null, 0, new Dictionary<string, double>());

    static T? Read<T>(string? json) => json is null ? default : JsonSerializer.Deserialize<T>(json);

    /// <summary>The metrics for the planner, the same for display, and each candidate's source (to assign after release).</summary>
    sealed record Loaded(ReplenishmentMetrics Metrics, ReplenishmentMetricsDto Dto, Dictionary<long, long?> SourceOf);

    /// <summary>
    /// Reads the metrics in SQL, sized to what one run may release:
    /// <list type="bullet">
    /// <item>lead counts per status and grade (one grouped query): available = New, Pending, Contacted, Qualified;</item>
    /// <item>active agents (active, not away); leads released since the start of today in the policy's time zone and the
    /// time of the last release (run log);</item>
    /// <item>30-day conversion per grade from the status history: of the leads whose status became Converted or Lost in
    /// the last 30 days, the share that became Converted (grades with no such outcome have no rate);</item>
    /// <item>reserve candidates: per grade the best N by score (nulls last, then id) with an index-ordered
    /// <c>ORDER BY … LIMIT N</c>, N = what this run may release at most (min of max_upload_per_run and today's
    /// allowance); if duplicates leave a grade with fewer than N releasable candidates while more are in reserve, that
    /// grade's window grows and is read again;</item>
    /// <item>duplicates: the candidates' e-mails and phones are looked up among leads outside the reserve with an
    /// <c>IN (SELECT … LIMIT N)</c> subquery over the same window, so no long parameter lists are sent.</item>
    /// </list>
    /// The whole reserve is never loaded. Reserve leads beyond a grade's window are not compared with the candidates;
    /// a duplicate among them is caught when it becomes a candidate itself, as the lead it duplicates is then in the pool.
    /// </summary>
    static async Task<Loaded> ReadMetricsAsync(LeadRouterDb db, ReplenishmentPolicy policy, DateTimeOffset now, CancellationToken ct)
    {
        var counts = await db.Leads.GroupBy(l => new { l.Status, l.Grade })
            .Select(g => new { g.Key.Status, g.Key.Grade, Count = g.Count() }).ToListAsync(ct);
        var available = counts.Where(c => Open.Contains(c.Status)).GroupBy(c => GradeOf(c.Grade)).ToDictionary(g => g.Key, g => g.Sum(c => c.Count));
        var reserveRaw = counts.Where(c => c.Status == LeadStatus.Reserve).ToList();
        var activeAgents = await db.Agents.CountAsync(a => a.Active && !a.Away, ct);
        var dayStart = policy.DayStart(now);
        var releasedToday = await db.ReplenishmentRuns.Where(r => r.RanAt >= dayStart).SumAsync(r => r.Released, ct);
        var lastRelease = await db.ReplenishmentRuns.Where(r => r.Released > 0).OrderByDescending(r => r.RanAt).Select(r => (DateTimeOffset?)r.RanAt).FirstOrDefaultAsync(ct);
        var conversion = await ConversionAsync(db, now, ct);

        var bound = Math.Max(1, Math.Min(policy.MaxUploadPerRun, policy.MaxDailyUploads - releasedToday));
        var window = reserveRaw.ToDictionary(r => Key(r.Grade), _ => bound);
        var candidates = new Dictionary<long, Candidate>();
        var loadedPerRaw = new Dictionary<string, int>();
        var poolEmails = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var poolPhones = new HashSet<string>(StringComparer.Ordinal);
        ReplenishmentMetrics metrics;
        for (var round = 0; ; round++)
        {
            foreach (var r in reserveRaw)
            {
                var key = Key(r.Grade);
                if (loadedPerRaw.TryGetValue(key, out var had) && (had >= window[key] || had >= r.Count)) continue;
                var rows = await Window(db, r.Grade, window[key]).Select(l => new Candidate(l.Id, l.Grade, l.Score, l.Email, l.Phone, l.SourceId)).ToListAsync(ct);
                if (rows.Count < window[key])
                    rows.AddRange(await Unscored(db, r.Grade, window[key] - rows.Count).Select(l => new Candidate(l.Id, l.Grade, l.Score, l.Email, l.Phone, l.SourceId)).ToListAsync(ct));
                foreach (var c in rows) candidates[c.Id] = c;
                loadedPerRaw[key] = rows.Count;

                // Duplicates of the working pool, looked up in SQL for this window only (no id or e-mail lists sent).
                var scored = Window(db, r.Grade, window[key]);
                var unscored = Unscored(db, r.Grade, Math.Max(0, window[key] - rows.Count(c => c.Score != null)));
                var outside = db.Leads.Where(l => l.Status != LeadStatus.Reserve);
                poolEmails.UnionWith(await outside.Where(l => l.Email != null && (scored.Select(c => c.Email).Contains(l.Email) || unscored.Select(c => c.Email).Contains(l.Email)))
                    .Select(l => l.Email!).Distinct().ToListAsync(ct));
                poolPhones.UnionWith(await outside.Where(l => l.Phone != null && (scored.Select(c => c.Phone).Contains(l.Phone) || unscored.Select(c => c.Phone).Contains(l.Phone)))
                    .Select(l => l.Phone!).Distinct().ToListAsync(ct));
            }

            metrics = new ReplenishmentMetrics(available, activeAgents, releasedToday, lastRelease,
                candidates.Values.Select(c => new ReserveLead(c.Id, GradeOf(c.Grade), c.Score, c.Email, c.Phone)).ToList(),
                poolEmails, poolPhones, conversion.Count == 0 ? null : conversion);
            var eligible = ReplenishmentPlanner.EligibleByGrade(metrics);
            var grow = reserveRaw
                .Where(r => eligible.GetValueOrDefault(GradeOf(r.Grade)) < bound && loadedPerRaw[Key(r.Grade)] >= window[Key(r.Grade)] && r.Count > window[Key(r.Grade)])
                .ToList();
            if (grow.Count == 0 || round >= 8) break;
            foreach (var r in grow) window[Key(r.Grade)] += Math.Max(64, 2 * (bound - eligible.GetValueOrDefault(GradeOf(r.Grade))));
        }

        var dto = new ReplenishmentMetricsDto(counts.Where(c => c.Status != LeadStatus.Reserve).Sum(c => c.Count), metrics.AvailableTotal, available,
            activeAgents, releasedToday, lastRelease, reserveRaw.Sum(r => r.Count), conversion);
        return new Loaded(metrics, dto, candidates.Values.ToDictionary(c => c.Id, c => c.SourceId));
    }

    /// <summary>A stored grade as a dictionary key (null and "" are different stored values).</summary>
    static string Key(string? grade) => grade ?? "\u0000";

    sealed record Candidate(long Id, string? Grade, double? Score, string? Email, string? Phone, long? SourceId);

    /// <summary>The best <paramref name="n"/> scored reserve leads of one stored grade, by score descending then id
    /// (served in order by the index on Status, Grade, Score descending, Id).</summary>
    static IQueryable<Lead> Window(LeadRouterDb db, string? grade, int n) =>
        InGrade(db, grade).Where(l => l.Score != null).OrderByDescending(l => l.Score).ThenBy(l => l.Id).Take(n);

    /// <summary>After the scored ones: the first <paramref name="n"/> unscored reserve leads of the grade, by id.</summary>
    static IQueryable<Lead> Unscored(LeadRouterDb db, string? grade, int n) =>
        InGrade(db, grade).Where(l => l.Score == null).OrderBy(l => l.Id).Take(n);

    static IQueryable<Lead> InGrade(LeadRouterDb db, string? grade) => grade is null
        ? db.Leads.Where(l => l.Status == LeadStatus.Reserve && l.Grade == null)
        : db.Leads.Where(l => l.Status == LeadStatus.Reserve && l.Grade == grade);

    /// <summary>Per grade, converted ÷ (converted + lost) among status changes to Converted or Lost in the last 30 days.</summary>
    static async Task<Dictionary<string, double>> ConversionAsync(LeadRouterDb db, DateTimeOffset now, CancellationToken ct)
    {
        var since = now.AddDays(-30);
        var outcomes = await db.LeadStatusChanges
            .Where(c => c.ChangedAt >= since && (c.To == LeadStatus.Converted || c.To == LeadStatus.Lost))
            .Join(db.Leads, c => c.LeadId, l => l.Id, (c, l) => new { l.Grade, c.To })
            .GroupBy(x => new { x.Grade, x.To }).Select(g => new { g.Key.Grade, g.Key.To, Count = g.Count() })
            .ToListAsync(ct);
        return outcomes.GroupBy(o => GradeOf(o.Grade))
            .ToDictionary(g => g.Key, g => (double)g.Where(o => o.To == LeadStatus.Converted).Sum(o => o.Count) / g.Sum(o => o.Count));
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
