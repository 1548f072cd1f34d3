using static System.FormattableString;

namespace LeadRouter.Domain.Replenishment;

/// <summary>
/// Seed 001's automated lead replenishment as a pure decision: policy + metrics + now in, release or hold out.
/// No clock, no randomness, no database; the edge loads <see cref="ReplenishmentMetrics"/> and applies the decision
/// in one transaction (conditional Reserve → New updates, so two nodes cannot release the same lead).
/// </summary>
/// <remarks>
/// <para><b>Triggers.</b> Total available &lt; <c>min_total_leads</c>, or a grade's available &lt; its
/// <c>min_priority_leads</c>. No trigger: hold <c>no_trigger</c>.</para>
/// <para><b>Gates</b> (hold, in this precedence): metrics_unavailable, holiday, outside_business_hours,
/// cooldown (now − last release &lt; cooldown), daily_cap (released today ≥ max_daily_uploads), no_trigger, agent_overload
/// (available ≥ limit × active agents), reserve_empty (no non-duplicate reserve lead). This is the contract's
/// <c>blockedBy</c> order: metrics_error, business_hours, cooldown, daily_cap, sufficient.</para>
/// <para><b>Amount.</b> wanted = max(target − available, Σ grade deficits), where a grade's deficit is
/// max(0, its minimum − its available); released = min(wanted, max_upload_per_run, max_daily_uploads − released
/// today, limit × active agents − available when overload protection is on, non-duplicate reserve leads).
/// The deficit term lets a grade minimum be served even when the pool is at its total target.</para>
/// <para><b>Mix.</b> Grade deficits are served first (if they exceed the amount, the amount is split in proportion
/// to the deficits). The rest is split by <see cref="AdjustedMix"/> (largest remainder, ties best grade first).</para>
/// <para><b>Short grades.</b> A grade whose reserve holds fewer non-duplicate leads than its share passes the
/// remainder on: first re-split by the same weights among grades that still have reserve, then, if only grades
/// outside the mix have any left, to them best grade first (A+, A, B, C…).</para>
/// <para><b>Selection.</b> Per grade, highest score first (null last), then lowest id. A reserve lead whose e-mail
/// (case-insensitive) or phone matches a working-pool lead, or a reserve lead ranked before it (best grade first,
/// then score, then id), is skipped and reported.</para>
/// </remarks>
public static class ReplenishmentPlanner
{
    /// <summary>How far 30-day conversion may move a grade's weight: factor clamped to [0.5, 1.5].</summary>
    public const double MinConversionFactor = 0.5;

    /// <inheritdoc cref="MinConversionFactor"/>
    public const double MaxConversionFactor = 1.5;

    /// <summary>
    /// Decides whether to release reserve leads now and which. See the type's remarks for every rule.
    /// Metrics null (could not be loaded) or inconsistent (negative counts) hold with <c>metrics_unavailable</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The policy breaks a rule of <see cref="ReplenishmentPolicy.Validate"/>.</exception>
    public static ReplenishmentDecision Plan(ReplenishmentPolicy policy, ReplenishmentMetrics? metrics, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var policyErrors = policy.Validate();
        if (policyErrors.Count > 0)
            throw new ArgumentException("Invalid replenishment policy: " + string.Join("; ", policyErrors), nameof(policy));

        if (metrics is null)
            return new ReplenishmentDecision.Hold(ReplenishmentBlock.MetricsUnavailable,
                ["metrics_unavailable: the working pool and reserve could not be read; nothing is released blind"]);
        var inconsistent = Inconsistencies(metrics);
        if (inconsistent.Count > 0)
            return new ReplenishmentDecision.Hold(ReplenishmentBlock.MetricsUnavailable, inconsistent);

        var available = Normalize(metrics.AvailableByGrade);
        var total = available.Values.Sum();
        var reasons = new List<string>();
        var blocks = new List<ReplenishmentBlock>();

        // Triggers.
        if (total < policy.MinTotalLeads)
            reasons.Add(Invariant($"trigger: {total} leads available, below min_total_leads {policy.MinTotalLeads}"));
        var minimums = Normalize(policy.MinGradeLeads);
        var deficits = new Dictionary<string, int>();
        foreach (var (grade, min) in minimums.OrderBy(g => g.Key, Grades.BestFirst))
        {
            var have = available.GetValueOrDefault(grade);
            if (have >= min) continue;
            deficits[grade] = min - have;
            reasons.Add(Invariant($"trigger: grade {grade} has {have} available, below its minimum {min}"));
        }

        var triggered = reasons.Count > 0;

        // Calendar.
        var local = TimeZoneInfo.ConvertTime(now, policy.TimeZone);
        var today = DateOnly.FromDateTime(local.DateTime);
        if (policy.Holidays.Contains(today))
            Block(ReplenishmentBlock.Holiday, Invariant($"holiday: {today:yyyy-MM-dd} is a holiday ({policy.TimeZone.Id})"));
        if (policy.BusinessHours is { } hours && !hours.Contains(local.DateTime))
            Block(ReplenishmentBlock.OutsideBusinessHours, Invariant(
                $"outside_business_hours: {local:ddd HH:mm} {policy.TimeZone.Id} is outside {Days(hours)} {hours.Start:HH:mm}–{hours.End:HH:mm}"));

        // Rate limits.
        DateTimeOffset? nextAllowed = null;
        if (metrics.LastReleaseAt is { } last && now - last < policy.Cooldown)
        {
            nextAllowed = last + policy.Cooldown;
            Block(ReplenishmentBlock.Cooldown, Invariant(
                $"cooldown: last release {(now - last).TotalMinutes:0} min ago at {last.ToUniversalTime():u}; wait {WaitMinutes(now, nextAllowed.Value)} minutes (next allowed from {nextAllowed.Value.ToUniversalTime():u})"));
        }
        var leftToday = Math.Max(0, policy.MaxDailyUploads - metrics.ReleasedToday);
        if (leftToday == 0)
            Block(ReplenishmentBlock.DailyCap, Invariant(
                $"daily_cap: {metrics.ReleasedToday} released since {policy.DayStart(now):u}, max_daily_uploads is {policy.MaxDailyUploads}"));
        if (!triggered)
            Block(ReplenishmentBlock.NoTrigger, Invariant(
                $"no_trigger: {total} leads available (minimum {policy.MinTotalLeads}) and every grade at or above its minimum"));
        long? headroom = null;
        if (policy.MaxAvailableLeadsPerAgent is { } perAgent)
        {
            var capacity = (long)perAgent * metrics.ActiveAgents;
            headroom = Math.Max(0, capacity - total);
            if (headroom == 0)
                Block(ReplenishmentBlock.AgentOverload, Invariant(
                    $"agent_overload: {total} leads available for {metrics.ActiveAgents} active agents reaches the limit of {perAgent} per agent"));
        }

        // Reserve.
        var (eligible, skipped) = Candidates(metrics);
        var supply = eligible.ToDictionary(g => g.Key, g => g.Value.Count);
        var supplyTotal = supply.Values.Sum();
        if (supplyTotal == 0)
            Block(ReplenishmentBlock.ReserveEmpty, metrics.Reserve.Count == 0
                ? "reserve_empty: the reserve holds no leads"
                : Invariant($"reserve_empty: all {metrics.Reserve.Count} reserve leads duplicate working-pool leads or each other"));

        if (blocks.Count > 0)
        {
            var block = blocks.Min();
            return new ReplenishmentDecision.Hold(block, reasons, block == ReplenishmentBlock.Cooldown ? nextAllowed : null);
        }

        // Amount.
        var deficitTotal = deficits.Values.Sum();
        var wanted = Math.Max(policy.TargetTotalLeads - total, deficitTotal);
        var caps = new List<(long Limit, string Name)>
        {
            (policy.MaxUploadPerRun, Invariant($"max_upload_per_run {policy.MaxUploadPerRun}")),
            (leftToday, Invariant($"{leftToday} left of max_daily_uploads {policy.MaxDailyUploads} today")),
            (supplyTotal, Invariant($"{supplyTotal} non-duplicate reserve leads")),
        };
        if (headroom is { } room)
            caps.Add((room, Invariant($"agent overload headroom {room} ({policy.MaxAvailableLeadsPerAgent} per agent × {metrics.ActiveAgents} active agents − {total} available)")));
        var amount = (int)Math.Min(wanted, caps.Min(c => c.Limit));
        var why = deficitTotal > policy.TargetTotalLeads - total
            ? Invariant($"the grade deficits ({deficitTotal})")
            : Invariant($"target_total_leads {policy.TargetTotalLeads} − {total} available");
        var binding = caps.Where(c => c.Limit == amount && amount < wanted).Select(c => c.Name).ToList();
        reasons.Add(binding.Count == 0
            ? Invariant($"amount: {amount}, to cover {why}")
            : Invariant($"amount: {amount} of {wanted} wanted (to cover {why}), capped by {string.Join(", ", binding)}"));

        // Mix.
        var defaultMix = AdjustedMix(policy.Mix, null);
        var mix = AdjustedMix(policy.Mix, metrics.ConversionRate30Days);
        reasons.Add(MixReason(defaultMix, mix, metrics.ConversionRate30Days));
        var grades = mix.Keys.Concat(minimums.Keys).Concat(supply.Keys)
            .Distinct().Order(Grades.BestFirst).ToList();
        var unlimited = grades.ToDictionary(g => g, _ => int.MaxValue);
        var targets = Allocate(amount, grades, deficits, mix, unlimited);
        var counts = Allocate(amount, grades, deficits, mix, grades.ToDictionary(g => g, g => supply.GetValueOrDefault(g)));
        if (deficitTotal > 0)
            reasons.Add(deficitTotal <= amount
                ? Invariant($"grade deficits served first: {Show(deficits, grades)}")
                : Invariant($"grade deficits ({deficitTotal}) exceed the amount; split in proportion to them"));
        foreach (var grade in grades.Where(g => counts[g] < targets[g]))
            reasons.Add(Invariant(
                $"grade {grade} ran short: {supply.GetValueOrDefault(grade)} non-duplicate reserve leads for a target of {targets[grade]}; the other {targets[grade] - counts[grade]} went to other grades"));
        if (skipped.Count > 0)
            reasons.Add(Invariant($"skipped {skipped.Count} duplicate reserve leads (e-mail or phone)"));

        var ids = new Dictionary<string, IReadOnlyList<long>>();
        foreach (var grade in grades.Where(g => counts[g] > 0))
            ids[grade] = eligible[grade].Take(counts[grade]).Select(l => l.LeadId).ToList();
        reasons.Add(Invariant($"release: {Show(counts.Where(c => c.Value > 0).ToDictionary(), grades)}"));
        return new ReplenishmentDecision.Release(ids, targets.Where(t => t.Value > 0).ToDictionary(), reasons, skipped);

        void Block(ReplenishmentBlock block, string reason)
        {
            blocks.Add(block);
            reasons.Add(reason);
        }
    }

    /// <summary>Whole minutes from <paramref name="now"/> until <paramref name="until"/>, rounded up (at least 1 while in the future).</summary>
    public static int WaitMinutes(DateTimeOffset now, DateTimeOffset until) =>
        until <= now ? 0 : (int)Math.Ceiling((until - now).TotalMinutes);

    /// <summary>
    /// Per grade, how many reserve leads in <paramref name="metrics"/> may be released (not duplicates of the pool or of
    /// better-ranked reserve leads). The edge uses it to check that the candidates it loaded are enough.
    /// </summary>
    public static IReadOnlyDictionary<string, int> EligibleByGrade(ReplenishmentMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return Candidates(metrics).Eligible.ToDictionary(g => g.Key, g => g.Value.Count);
    }

    /// <summary>
    /// The release mix: the default mix adjusted by 30-day conversion (seed 001: "high performers get bonus A+ leads").
    /// For each grade g with weight m_g &gt; 0 and a conversion rate c_g (clamped to 0–1):
    /// <c>c̄ = Σ m_g·c_g / Σ m_g</c> over those grades, <c>f_g = clamp(c_g / c̄, 0.5, 1.5)</c>; grades without data have
    /// f_g = 1; the result is <c>m_g·f_g</c> renormalized to sum to 100. With no outcome data (null, no rate for any
    /// mix grade, or c̄ = 0) the default mix stands.
    /// </summary>
    /// <example>Default 20/50/30 with conversion A+ 10 %, A 5 %, B 2 %: c̄ = 5.1 %, f = 1.5 (clamped from 1.96) / 0.98 / 0.5 (clamped from 0.39) → 30 / 49.0 / 15 → 31.9 % / 52.1 % / 16.0 %.</example>
    public static IReadOnlyDictionary<string, double> AdjustedMix(
        IReadOnlyDictionary<string, double> mix, IReadOnlyDictionary<string, double>? conversion30Days)
    {
        ArgumentNullException.ThrowIfNull(mix);
        var normalizedMix = mix.ToDictionary(m => Grades.Normalize(m.Key), m => m.Value);
        if (conversion30Days is null) return normalizedMix;
        var rates = new Dictionary<string, double>();
        foreach (var (grade, rate) in conversion30Days)
        {
            var g = Grades.Normalize(grade);
            if (double.IsFinite(rate) && normalizedMix.GetValueOrDefault(g) > 0) rates[g] = Math.Clamp(rate, 0, 1);
        }

        if (rates.Count == 0) return normalizedMix;
        var mean = rates.Sum(r => normalizedMix[r.Key] * r.Value) / rates.Sum(r => normalizedMix[r.Key]);
        if (mean <= 0) return normalizedMix;
        var weights = normalizedMix.ToDictionary(m => m.Key, m => m.Value * (rates.TryGetValue(m.Key, out var c)
            ? Math.Clamp(c / mean, MinConversionFactor, MaxConversionFactor)
            : 1));
        var sum = weights.Values.Sum();
        return weights.ToDictionary(w => w.Key, w => w.Value * 100 / sum);
    }

    /// <summary>Per grade: deficits first (capped by room), then the rest by the mix weights, capped by room.</summary>
    internal static Dictionary<string, int> Allocate(
        int amount, IReadOnlyList<string> grades, IReadOnlyDictionary<string, int> deficits,
        IReadOnlyDictionary<string, double> mix, IReadOnlyDictionary<string, int> room)
    {
        var need = grades.ToDictionary(g => g, g => Math.Min(deficits.GetValueOrDefault(g), room[g]));
        var result = need.Values.Sum() <= amount
            ? need
            : Fill(amount, grades, g => need[g], need);
        var rest = amount - result.Values.Sum();
        var left = grades.ToDictionary(g => g, g => room[g] - result[g]);
        var more = Fill(rest, grades, g => mix.GetValueOrDefault(g), left);
        return grades.ToDictionary(g => g, g => result[g] + more[g]);
    }

    /// <summary>
    /// Splits <paramref name="amount"/> by weight (largest remainder), each grade capped by its room; what a capped grade
    /// cannot take is re-split among the weighted grades still with room, and what no weighted grade can take goes to
    /// the other grades with room, in <paramref name="grades"/> order (best first). Returns less only when room runs out.
    /// </summary>
    internal static Dictionary<string, int> Fill(
        int amount, IReadOnlyList<string> grades, Func<string, double> weight, IReadOnlyDictionary<string, int> room)
    {
        var result = grades.ToDictionary(g => g, _ => 0);
        while (amount > 0)
        {
            var active = grades.Where(g => weight(g) > 0 && room[g] > result[g]).ToList();
            if (active.Count == 0) break;
            foreach (var (grade, share) in LargestRemainder(amount, active, weight))
            {
                var take = Math.Min(share, room[grade] - result[grade]);
                result[grade] += take;
                amount -= take;
            }
        }

        foreach (var grade in grades)
        {
            var take = Math.Min(amount, room[grade] - result[grade]);
            result[grade] += take;
            amount -= take;
        }

        return result;
    }

    // Hamilton's method: floor of each quota, then one more to the largest fractional parts (ties: earlier grade).
    static IEnumerable<(string Grade, int Share)> LargestRemainder(int amount, IReadOnlyList<string> grades, Func<string, double> weight)
    {
        var sum = grades.Sum(weight);
        var quotas = grades.Select((g, i) => (Grade: g, Index: i, Quota: amount * weight(g) / sum)).ToList();
        var floors = quotas.Select(q => (int)Math.Min(Math.Floor(q.Quota), amount)).ToArray();
        var remainder = amount - floors.Sum();
        foreach (var q in quotas.OrderByDescending(q => q.Quota - Math.Floor(q.Quota)).ThenBy(q => q.Index))
        {
            if (remainder <= 0) break;
            floors[q.Index]++;
            remainder--;
        }

        return quotas.Select(q => (q.Grade, floors[q.Index]));
    }

    /// <summary>Reserve leads per grade that may be released, best first, and the duplicates skipped.</summary>
    internal static (Dictionary<string, List<ReserveLead>> Eligible, List<SkippedDuplicate> Skipped) Candidates(ReplenishmentMetrics metrics)
    {
        var poolEmails = new HashSet<string>(metrics.PoolEmails.Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => e.Trim()),
            StringComparer.OrdinalIgnoreCase);
        var poolPhones = new HashSet<string>(metrics.PoolPhones.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p.Trim()),
            StringComparer.Ordinal);
        var seenEmails = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        var seenPhones = new Dictionary<string, long>(StringComparer.Ordinal);
        var seenIds = new HashSet<long>();
        var eligible = new Dictionary<string, List<ReserveLead>>();
        var skipped = new List<SkippedDuplicate>();

        var ranked = metrics.Reserve
            .Select(l => l with { Grade = Grades.Normalize(l.Grade) })
            .OrderBy(l => l.Grade, Grades.BestFirst)
            .ThenByDescending(l => l.Score ?? double.NegativeInfinity)
            .ThenBy(l => l.LeadId);
        foreach (var lead in ranked)
        {
            var email = string.IsNullOrWhiteSpace(lead.Email) ? null : lead.Email.Trim();
            var phone = string.IsNullOrWhiteSpace(lead.Phone) ? null : lead.Phone.Trim();
            var reason =
                !seenIds.Add(lead.LeadId) ? "listed twice in the reserve"
                : email is not null && poolEmails.Contains(email) ? "e-mail already in the working pool"
                : phone is not null && poolPhones.Contains(phone) ? "phone already in the working pool"
                : email is not null && seenEmails.TryGetValue(email, out var byEmail) ? Invariant($"same e-mail as reserve lead {byEmail}")
                : phone is not null && seenPhones.TryGetValue(phone, out var byPhone) ? Invariant($"same phone as reserve lead {byPhone}")
                : null;
            if (reason is not null)
            {
                skipped.Add(new SkippedDuplicate(lead.LeadId, lead.Grade, reason));
                continue;
            }

            if (email is not null) seenEmails[email] = lead.LeadId;
            if (phone is not null) seenPhones[phone] = lead.LeadId;
            if (!eligible.TryGetValue(lead.Grade, out var list)) eligible[lead.Grade] = list = [];
            list.Add(lead);
        }

        return (eligible, skipped);
    }

    static List<string> Inconsistencies(ReplenishmentMetrics metrics)
    {
        var problems = new List<string>();
        if (metrics.AvailableByGrade is null || metrics.Reserve is null || metrics.PoolEmails is null || metrics.PoolPhones is null)
        {
            problems.Add("metrics_unavailable: the metrics are incomplete");
            return problems;
        }

        foreach (var (grade, count) in metrics.AvailableByGrade.Where(a => a.Value < 0))
            problems.Add(Invariant($"metrics_unavailable: grade {grade} has {count} available leads"));
        if (metrics.ActiveAgents < 0) problems.Add(Invariant($"metrics_unavailable: {metrics.ActiveAgents} active agents"));
        if (metrics.ReleasedToday < 0) problems.Add(Invariant($"metrics_unavailable: {metrics.ReleasedToday} released today"));
        return problems;
    }

    static Dictionary<string, int> Normalize(IReadOnlyDictionary<string, int> counts)
    {
        var result = new Dictionary<string, int>();
        foreach (var (grade, count) in counts)
        {
            var g = Grades.Normalize(grade);
            result[g] = result.GetValueOrDefault(g) + count;
        }

        return result;
    }

    static string MixReason(
        IReadOnlyDictionary<string, double> defaultMix, IReadOnlyDictionary<string, double> mix, IReadOnlyDictionary<string, double>? conversion)
    {
        var shown = string.Join(", ", mix.OrderBy(m => m.Key, Grades.BestFirst).Select(m => Invariant($"{m.Key} {m.Value:0.#} %")));
        var unchanged = mix.All(m => Math.Abs(m.Value - defaultMix.GetValueOrDefault(m.Key)) < 1e-9);
        if (unchanged) return $"mix: {shown} (default; no 30-day conversion data changes it)";
        var rates = string.Join(", ", conversion!.OrderBy(c => c.Key, Grades.BestFirst).Select(c => Invariant($"{c.Key} {c.Value * 100:0.#} %")));
        return $"mix: {shown} (default adjusted by 30-day conversion {rates})";
    }

    static string Days(BusinessHours hours) =>
        string.Join("/", hours.Days.Order().Select(d => d.ToString()[..3]));

    static string Show(IReadOnlyDictionary<string, int> counts, IReadOnlyList<string> order) =>
        string.Join(", ", order.Where(counts.ContainsKey).Select(g => Invariant($"{g} {counts[g]}")));
}
