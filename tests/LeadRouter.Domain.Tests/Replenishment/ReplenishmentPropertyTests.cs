using CsCheck;
using LeadRouter.Domain.Replenishment;
using Hold = LeadRouter.Domain.Replenishment.ReplenishmentDecision.Hold;
using Release = LeadRouter.Domain.Replenishment.ReplenishmentDecision.Release;

namespace LeadRouter.Domain.Tests.Replenishment;

public sealed class ReplenishmentPropertyTests
{
    static readonly DateTimeOffset Now = ReplenishmentGen.Now;

    static int Available(ReplenishmentMetrics m) => m.AvailableByGrade.Values.Sum();

    static int Deficit(ReplenishmentPolicy p, ReplenishmentMetrics m, string grade) =>
        Math.Max(0, p.MinGradeLeads.GetValueOrDefault(grade) - m.AvailableByGrade.GetValueOrDefault(grade));

    static int DeficitTotal(ReplenishmentPolicy p, ReplenishmentMetrics m) =>
        p.MinGradeLeads.Keys.Sum(g => Deficit(p, m, g));

    static bool Triggered(ReplenishmentPolicy p, ReplenishmentMetrics m) =>
        Available(m) < p.MinTotalLeads || DeficitTotal(p, m) > 0;

    // The bound of the issue: per-run cap, what is left of the day, the reserve, and what the pool lacks
    // (target − available, or the grade deficits when those are larger), and overload headroom when on.
    static long Bound(ReplenishmentPolicy p, ReplenishmentMetrics m)
    {
        var bound = Math.Min(Math.Min(p.MaxUploadPerRun, p.MaxDailyUploads - m.ReleasedToday), m.Reserve.Count);
        bound = Math.Min(bound, Math.Max(p.TargetTotalLeads - Available(m), DeficitTotal(p, m)));
        if (p.MaxAvailableLeadsPerAgent is { } limit) bound = (int)Math.Min(bound, (long)limit * m.ActiveAgents - Available(m));
        return bound;
    }

    [Fact]
    public void The_generators_reach_releases_and_every_kind_of_hold_they_can() =>
        Gen.Select(ReplenishmentGen.Policies, ReplenishmentGen.MetricsWithDuplicates).Array[400].Sample(cases =>
        {
            var decisions = cases.Select(c => ReplenishmentPlanner.Plan(c.Item1, c.Item2, Now)).ToList();
            var blocks = decisions.OfType<Hold>().Select(h => h.Block).ToHashSet();
            return decisions.Count(d => d is Release) >= 100 && decisions.OfType<Release>().Any(r => r.SkippedDuplicates.Count > 0)
                && blocks.IsSupersetOf([ReplenishmentBlock.NoTrigger, ReplenishmentBlock.Cooldown, ReplenishmentBlock.DailyCap, ReplenishmentBlock.AgentOverload]);
        }, iter: 5);

    [Fact]
    public void A_release_never_exceeds_any_cap() =>
        Gen.Select(ReplenishmentGen.Policies, ReplenishmentGen.MetricsWithDuplicates).Sample((policy, metrics) =>
            ReplenishmentPlanner.Plan(policy, metrics, Now) is not Release release
            || (release.Count > 0 && release.Count <= Bound(policy, metrics)));

    [Fact]
    public void Without_duplicates_a_release_is_exactly_the_smallest_cap() =>
        Gen.Select(ReplenishmentGen.Policies, ReplenishmentGen.MetricsUnique).Sample((policy, metrics) =>
            ReplenishmentPlanner.Plan(policy, metrics, Now) is not Release release
            || (release.Count == Bound(policy, metrics) && release.Targets.Values.Sum() == release.Count));

    [Fact]
    public void No_duplicate_is_released() =>
        Gen.Select(ReplenishmentGen.Policies, ReplenishmentGen.MetricsWithDuplicates).Sample((policy, metrics) =>
        {
            if (ReplenishmentPlanner.Plan(policy, metrics, Now) is not Release release) return true;
            var byId = metrics.Reserve.ToDictionary(l => l.LeadId);
            var leads = release.LeadIds.Select(id => byId[id]).ToList();
            var emails = leads.Where(l => l.Email is not null).Select(l => l.Email!.Trim().ToLowerInvariant()).ToList();
            var phones = leads.Where(l => l.Phone is not null).Select(l => l.Phone!.Trim()).ToList();
            var poolEmails = metrics.PoolEmails.Select(e => e.Trim().ToLowerInvariant()).ToHashSet();
            return leads.Select(l => l.LeadId).Distinct().Count() == leads.Count
                && emails.Distinct().Count() == emails.Count && phones.Distinct().Count() == phones.Count
                && !emails.Any(poolEmails.Contains) && !phones.Any(metrics.PoolPhones.Contains)
                && leads.All(l => Grades.Normalize(l.Grade) is var g && release.LeadIdsByGrade[g].Contains(l.LeadId));
        });

    [Fact]
    public void Each_grade_releases_its_best_non_duplicate_leads_in_score_order() =>
        Gen.Select(ReplenishmentGen.Policies, ReplenishmentGen.MetricsWithDuplicates).Sample((policy, metrics) =>
        {
            if (ReplenishmentPlanner.Plan(policy, metrics, Now) is not Release release) return true;
            var skipped = release.SkippedDuplicates.Select(s => s.LeadId).ToHashSet();
            return release.LeadIdsByGrade.All(grade =>
            {
                var ranked = metrics.Reserve
                    .Where(l => Grades.Normalize(l.Grade) == grade.Key && !skipped.Contains(l.LeadId))
                    .OrderByDescending(l => l.Score ?? double.NegativeInfinity).ThenBy(l => l.LeadId)
                    .Select(l => l.LeadId);
                return ranked.Take(grade.Value.Count).SequenceEqual(grade.Value);
            });
        });

    [Fact]
    public void Skipped_leads_really_are_duplicates() =>
        Gen.Select(ReplenishmentGen.Policies, ReplenishmentGen.MetricsWithDuplicates).Sample((policy, metrics) =>
        {
            if (ReplenishmentPlanner.Plan(policy, metrics, Now) is not Release release) return true;
            var emails = metrics.PoolEmails.Select(e => e.ToLowerInvariant()).ToHashSet();
            return release.SkippedDuplicates.All(s =>
            {
                var lead = metrics.Reserve.Single(l => l.LeadId == s.LeadId);
                var email = lead.Email?.ToLowerInvariant();
                return (email is not null && (emails.Contains(email)
                        || metrics.Reserve.Any(o => o.LeadId != lead.LeadId && string.Equals(o.Email, lead.Email, StringComparison.OrdinalIgnoreCase))))
                    || (lead.Phone is not null && (metrics.PoolPhones.Contains(lead.Phone)
                        || metrics.Reserve.Any(o => o.LeadId != lead.LeadId && o.Phone == lead.Phone)));
            });
        });

    [Fact]
    public void Grade_minimum_deficits_are_served_first_when_possible() =>
        Gen.Select(ReplenishmentGen.Policies, ReplenishmentGen.MetricsWithDuplicates).Sample((policy, metrics) =>
        {
            if (ReplenishmentPlanner.Plan(policy, metrics, Now) is not Release release) return true;
            var skipped = release.SkippedDuplicates.Select(s => s.LeadId).ToHashSet();
            var need = policy.MinGradeLeads.Keys.ToDictionary(g => g, g => Math.Min(Deficit(policy, metrics, g),
                metrics.Reserve.Count(l => Grades.Normalize(l.Grade) == g && !skipped.Contains(l.LeadId))));
            int Got(string grade) => release.LeadIdsByGrade.GetValueOrDefault(grade)?.Count ?? 0;
            return need.Values.Sum() <= release.Count
                ? need.All(n => Got(n.Key) >= n.Value)
                : need.All(n => Got(n.Key) <= n.Value) && need.Keys.Sum(Got) == release.Count;
        });

    [Fact]
    public void Release_only_when_triggered_and_every_gate_is_open() =>
        Gen.Select(ReplenishmentGen.Policies, ReplenishmentGen.MetricsWithDuplicates).Sample((policy, metrics) =>
        {
            var decision = ReplenishmentPlanner.Plan(policy, metrics, Now);
            var cooling = metrics.LastReleaseAt is { } last && Now - last < policy.Cooldown;
            var capped = metrics.ReleasedToday >= policy.MaxDailyUploads;
            return decision switch
            {
                Release => Triggered(policy, metrics) && !cooling && !capped,
                Hold { Block: ReplenishmentBlock.Cooldown } h => cooling && h.Reasons.Count > 0 && h.NextAllowedAt > Now,
                Hold { Block: ReplenishmentBlock.DailyCap } => !cooling && capped,
                Hold { Block: ReplenishmentBlock.NoTrigger } => !Triggered(policy, metrics) && !cooling && !capped,
                Hold { Block: ReplenishmentBlock.AgentOverload or ReplenishmentBlock.ReserveEmpty } => Triggered(policy, metrics) && !cooling && !capped,
                _ => false,
            };
        });

    [Fact]
    public void The_plan_does_not_depend_on_reserve_order() =>
        Gen.Select(ReplenishmentGen.Policies, ReplenishmentGen.MetricsWithDuplicates).Sample((policy, metrics) =>
        {
            var forward = ReplenishmentPlanner.Plan(policy, metrics, Now);
            var backward = ReplenishmentPlanner.Plan(policy, metrics with { Reserve = metrics.Reserve.Reverse().ToList() }, Now);
            return (forward, backward) switch
            {
                (Release f, Release b) => f.LeadIds.SequenceEqual(b.LeadIds)
                    && f.SkippedDuplicates.Select(s => s.LeadId).Order().SequenceEqual(b.SkippedDuplicates.Select(s => s.LeadId).Order()),
                (Hold f, Hold b) => f.Block == b.Block,
                _ => false,
            };
        });

    [Fact]
    public void The_adjusted_mix_sums_to_100_and_stays_within_the_factor_bounds() =>
        Gen.Select(Gen.Int[0, 10].Array[3], Gen.Double[0, 1].Array[3]).Sample((weights, rates) =>
        {
            if (weights.Sum() == 0) weights[0] = 1;
            double sum = weights.Sum();
            var mix = new Dictionary<string, double> { ["A+"] = weights[0] * 100 / sum, ["A"] = weights[1] * 100 / sum, ["B"] = weights[2] * 100 / sum };
            var adjusted = ReplenishmentPlanner.AdjustedMix(mix, new Dictionary<string, double> { ["A+"] = rates[0], ["A"] = rates[1], ["B"] = rates[2] });
            // Each weight moves by a factor in [0.5, 1.5] before renormalizing, so no share more than triples or drops below a third.
            return Math.Abs(adjusted.Values.Sum() - 100) < 1e-9
                && mix.All(m => m.Value == 0 ? adjusted[m.Key] == 0 : adjusted[m.Key] <= m.Value * 3 + 1e-9 && adjusted[m.Key] >= m.Value / 3 - 1e-9);
        });
}
