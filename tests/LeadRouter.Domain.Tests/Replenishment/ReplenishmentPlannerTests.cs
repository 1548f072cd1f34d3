using LeadRouter.Domain.Replenishment;
using Hold = LeadRouter.Domain.Replenishment.ReplenishmentDecision.Hold;
using Release = LeadRouter.Domain.Replenishment.ReplenishmentDecision.Release;

namespace LeadRouter.Domain.Tests.Replenishment;

public sealed class ReplenishmentPlannerTests
{
    static readonly DateTimeOffset Monday9 = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    static IEnumerable<ReserveLead> Reserve(string grade, int count, long firstId) =>
        Enumerable.Range(0, count).Select(i => new ReserveLead(firstId + i, grade, 1000 - i, $"{grade}{i}@reserve.test", null));

    static ReplenishmentMetrics Metrics(
        IEnumerable<ReserveLead> reserve, int aPlus = 0, int a = 0, int b = 0, DateTimeOffset? last = null,
        int releasedToday = 0, int agents = 5, IEnumerable<string>? poolEmails = null, IEnumerable<string>? poolPhones = null,
        IReadOnlyDictionary<string, double>? conversion = null) =>
        new(new Dictionary<string, int> { ["A+"] = aPlus, ["A"] = a, ["B"] = b }, agents, releasedToday, last,
            reserve.ToList(), (poolEmails ?? []).ToHashSet(), (poolPhones ?? []).ToHashSet(), conversion);

    static Dictionary<string, int> Counts(Release release) =>
        release.LeadIdsByGrade.ToDictionary(g => g.Key, g => g.Value.Count);

    [Fact]
    public void Acceptance_releases_exactly_the_per_run_cap_then_holds_for_cooldown_ten_minutes_later()
    {
        var policy = ReplenishmentPolicyTests.Valid("""
            {
              "lead_inventory_thresholds": { "min_total_leads": 500, "target_total_leads": 600 }, // low-stock demo
              "upload_controls": { "max_upload_per_run": 70, "max_daily_uploads": 500, "min_time_between_uploads_hours": 1, },
            }
            """);
        var reserve = Reserve("A+", 200, 1).Concat(Reserve("A", 300, 1001)).Concat(Reserve("B", 300, 2001)).ToList();

        var first = Assert.IsType<Release>(ReplenishmentPlanner.Plan(policy, Metrics(reserve), Monday9));

        Assert.Equal(70, first.Count);
        Assert.Equal(70, first.LeadIds.Distinct().Count());
        // Grade deficits 10 / 30 / 20 first, then the remaining 10 by the default mix 20 / 50 / 30.
        Assert.Equal(new Dictionary<string, int> { ["A+"] = 12, ["A"] = 35, ["B"] = 23 }, Counts(first));
        Assert.Contains(first.Reasons, r => r.Contains("capped by max_upload_per_run 70"));

        var released = reserve.Where(l => first.LeadIds.Contains(l.LeadId)).ToList();
        var tenMinutesLater = Monday9.AddMinutes(10);
        var afterFirst = Metrics(reserve.Except(released), aPlus: 12, a: 35, b: 23, last: Monday9, releasedToday: 70,
            poolEmails: released.Select(l => l.Email!));

        var second = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(policy, afterFirst, tenMinutesLater));

        Assert.Equal("cooldown", second.BlockedBy);
        Assert.Contains(second.Reasons, r => r.StartsWith("cooldown: last release 10 min ago", StringComparison.Ordinal));
        var third = Assert.IsType<Release>(ReplenishmentPlanner.Plan(policy, afterFirst, Monday9.AddHours(1)));
        Assert.Equal(70, third.Count);
        Assert.Empty(third.LeadIds.Intersect(first.LeadIds));
    }

    [Fact]
    public void Seed_001_never_selects_more_than_the_per_run_cap()
    {
        // The seed selected 55 leads under a cap of 50 (deficits plus a mix share on top). Here deficits fill the cap exactly.
        var policy = ReplenishmentPolicy.Default with { MinTotalLeads = 120, MaxUploadPerRun = 50 };
        var reserve = Reserve("A+", 40, 1).Concat(Reserve("A", 40, 101)).Concat(Reserve("B", 40, 201));

        var release = Assert.IsType<Release>(ReplenishmentPlanner.Plan(policy, Metrics(reserve, a: 5, b: 5), Monday9));

        Assert.Equal(50, release.Count);
        Assert.Equal(new Dictionary<string, int> { ["A+"] = 10, ["A"] = 25, ["B"] = 15 }, Counts(release));
    }

    [Fact]
    public void A_grade_below_its_minimum_triggers_even_when_the_pool_is_over_target()
    {
        var reserve = Reserve("A+", 30, 1).Concat(Reserve("A", 30, 101));

        var release = Assert.IsType<Release>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default, Metrics(reserve, aPlus: 3, a: 100, b: 100), Monday9));

        Assert.Equal(new Dictionary<string, int> { ["A+"] = 7 }, Counts(release));
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], release.LeadIdsByGrade["A+"]);
        Assert.Contains(release.Reasons, r => r == "trigger: grade A+ has 3 available, below its minimum 10");
    }

    [Fact]
    public void A_short_grade_passes_its_remainder_to_the_other_grades()
    {
        var reserve = Reserve("A+", 3, 1).Concat(Reserve("A", 200, 101)).Concat(Reserve("B", 200, 401));

        var release = Assert.IsType<Release>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default, Metrics(reserve), Monday9));

        // Amount 100 (per-run cap). Deficits: A+ 3 (all it has), A 30, B 20. A+ has nothing left, so the other 47 go
        // 50:30 to A and B: 29.375 / 17.625 → 29 / 18 (largest remainder). A 30 + 29 = 59, B 20 + 18 = 38.
        Assert.Equal(new Dictionary<string, int> { ["A+"] = 3, ["A"] = 59, ["B"] = 38 }, Counts(release));
        Assert.Equal(new Dictionary<string, int> { ["A+"] = 18, ["A"] = 50, ["B"] = 32 }, release.Targets);
        Assert.Contains(release.Reasons, r => r.StartsWith("grade A+ ran short: 3 non-duplicate reserve leads for a target of 18", StringComparison.Ordinal));
    }

    [Fact]
    public void Duplicates_of_the_pool_or_of_better_reserve_leads_are_skipped_and_reported()
    {
        ReserveLead[] reserve =
        [
            new(1, "A+", 90, " Taken@Pool.test ", null),
            new(2, "A+", 80, "two@reserve.test", "+15550001"),
            new(3, "a+", 70, null, "+15550001"),
            new(4, "A+", 60, "TWO@reserve.test", null),
            new(5, "A+", 50, null, "+15550999"),
            new(6, "A+", 40, "six@reserve.test", null),
            new(7, "A+", null, "seven@reserve.test", null),
        ];
        var metrics = Metrics(reserve, poolEmails: ["taken@pool.test"], poolPhones: ["+15550999"]);

        var release = Assert.IsType<Release>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default, metrics, Monday9));

        Assert.Equal([2L, 6, 7], release.LeadIdsByGrade["A+"]);
        Assert.Equal(
            [(1L, "e-mail already in the working pool"), (3L, "same phone as reserve lead 2"), (4L, "same e-mail as reserve lead 2"), (5L, "phone already in the working pool")],
            release.SkippedDuplicates.Select(s => (s.LeadId, s.Reason)).OrderBy(s => s.LeadId));
    }

    [Fact]
    public void With_no_outcome_data_the_default_mix_stands()
    {
        Assert.Equal(ReplenishmentPolicy.Default.Mix, ReplenishmentPlanner.AdjustedMix(ReplenishmentPolicy.Default.Mix, null));
        Assert.Equal(ReplenishmentPolicy.Default.Mix, ReplenishmentPlanner.AdjustedMix(ReplenishmentPolicy.Default.Mix, new Dictionary<string, double>()));
        Assert.Equal(ReplenishmentPolicy.Default.Mix,
            ReplenishmentPlanner.AdjustedMix(ReplenishmentPolicy.Default.Mix, new Dictionary<string, double> { ["A+"] = 0, ["A"] = 0, ["B"] = 0 }));
    }

    [Fact]
    public void Conversion_moves_the_mix_towards_converting_grades_within_bounds()
    {
        var mix = ReplenishmentPlanner.AdjustedMix(ReplenishmentPolicy.Default.Mix,
            new Dictionary<string, double> { ["A+"] = 0.10, ["A"] = 0.05, ["B"] = 0.02 });

        // c̄ = (20·0.10 + 50·0.05 + 30·0.02) / 100 = 0.051; factors 1.5 (clamped), 0.05/0.051, 0.5 (clamped).
        var weights = new[] { 20 * 1.5, 50 * 0.05 / 0.051, 30 * 0.5 };
        Assert.Equal(weights[0] * 100 / weights.Sum(), mix["A+"], 9);
        Assert.Equal(weights[1] * 100 / weights.Sum(), mix["A"], 9);
        Assert.Equal(weights[2] * 100 / weights.Sum(), mix["B"], 9);
        Assert.Equal(100, mix.Values.Sum(), 9);
    }

    [Fact]
    public void Conversion_changes_which_grades_fill_the_mix_share()
    {
        var reserve = Reserve("A+", 200, 1).Concat(Reserve("A", 200, 1001)).Concat(Reserve("B", 200, 2001)).ToList();
        var pool = Metrics(reserve, aPlus: 10, a: 30, b: 20); // no deficits: 60 available, target 150 → 90
        var policy = ReplenishmentPolicy.Default with { MinTotalLeads = 100 };

        var plain = Assert.IsType<Release>(ReplenishmentPlanner.Plan(policy, pool, Monday9));
        var adjusted = Assert.IsType<Release>(ReplenishmentPlanner.Plan(policy,
            pool with { ConversionRate30Days = new Dictionary<string, double> { ["A+"] = 0.10, ["A"] = 0.05, ["B"] = 0.02 } }, Monday9));

        Assert.Equal(new Dictionary<string, int> { ["A+"] = 18, ["A"] = 45, ["B"] = 27 }, Counts(plain));
        Assert.True(Counts(adjusted)["A+"] > 18 && Counts(adjusted)["B"] < 27);
        Assert.Equal(90, adjusted.Count);
        Assert.Contains(adjusted.Reasons, r => r.Contains("adjusted by 30-day conversion"));
    }

    [Fact]
    public void Daily_allowance_caps_the_amount_and_blocks_when_spent()
    {
        var reserve = Reserve("A", 300, 1).ToList();

        var partial = Assert.IsType<Release>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default, Metrics(reserve, releasedToday: 480), Monday9));
        var spent = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default, Metrics(reserve, releasedToday: 500), Monday9));

        Assert.Equal(20, partial.Count);
        Assert.Equal("daily_cap", spent.BlockedBy);
    }

    [Fact]
    public void Enough_leads_is_sufficient_but_ranks_after_cooldown_and_the_daily_cap()
    {
        var reserve = Reserve("A", 10, 1).ToList();

        var cooling = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default,
            Metrics(reserve, aPlus: 10, a: 30, b: 20, last: Monday9.AddMinutes(-5)), Monday9));
        var enough = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default,
            Metrics(reserve, aPlus: 10, a: 30, b: 20, last: Monday9.AddHours(-2)), Monday9));

        Assert.Equal("cooldown", cooling.BlockedBy);
        Assert.Contains(cooling.Reasons, r => r.StartsWith("no_trigger:", StringComparison.Ordinal));
        Assert.Equal(Monday9.AddMinutes(55), cooling.NextAllowedAt);
        Assert.Contains(cooling.Reasons, r => r.Contains("wait 55 minutes", StringComparison.Ordinal));
        Assert.Equal("sufficient", enough.BlockedBy);
        Assert.Equal("no_trigger", enough.Code);
    }

    [Fact]
    public void Holidays_and_business_hours_use_the_policy_time_zone()
    {
        var policy = ReplenishmentPolicyTests.Valid("""
            { "time_zone": "Asia/Kolkata", "business_hours": { "days": ["Mon", "Tue", "Wed", "Thu", "Fri"], "start": "09:00", "end": "18:00" },
              "holidays": ["2025-01-07"] }
            """);
        var metrics = Metrics(Reserve("A", 200, 1));

        var early = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(policy, metrics, new DateTimeOffset(2025, 1, 6, 2, 0, 0, TimeSpan.Zero)));
        var open = ReplenishmentPlanner.Plan(policy, metrics, new DateTimeOffset(2025, 1, 6, 4, 0, 0, TimeSpan.Zero));
        var holiday = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(policy, metrics, new DateTimeOffset(2025, 1, 7, 4, 0, 0, TimeSpan.Zero)));
        var weekend = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(policy, metrics, new DateTimeOffset(2025, 1, 11, 6, 0, 0, TimeSpan.Zero)));

        Assert.Equal("outside_business_hours", early.Code); // 07:30 IST Monday
        Assert.IsType<Release>(open);                        // 09:30 IST Monday
        Assert.Equal("holiday", holiday.Code);               // 09:30 IST on the 7th
        Assert.Equal("outside_business_hours", weekend.Code); // Saturday
        Assert.All([early, holiday, weekend], h => Assert.Equal("business_hours", h.BlockedBy));
    }

    [Fact]
    public void Agent_overload_blocks_at_the_limit_and_caps_the_release_below_it()
    {
        var policy = ReplenishmentPolicy.Default with { MaxAvailableLeadsPerAgent = 10 };
        var reserve = Reserve("A", 100, 1).ToList();

        var full = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(policy, Metrics(reserve, a: 30, agents: 3), Monday9));
        var room = Assert.IsType<Release>(ReplenishmentPlanner.Plan(policy, Metrics(reserve, a: 25, agents: 3), Monday9));
        var nobody = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(policy, Metrics(reserve, agents: 0), Monday9));

        Assert.Equal("agent_overload", full.Code);
        Assert.Equal("sufficient", full.BlockedBy);
        Assert.Equal(5, room.Count);
        Assert.Equal("agent_overload", nobody.Code);
    }

    [Fact]
    public void An_empty_or_all_duplicate_reserve_holds()
    {
        var empty = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default, Metrics([]), Monday9));
        var dupes = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default,
            Metrics(Reserve("A", 3, 1), poolEmails: ["A0@reserve.test", "a1@reserve.test", "a2@RESERVE.test"]), Monday9));

        Assert.Equal("reserve_empty", empty.BlockedBy);
        Assert.Equal("reserve_empty", dupes.BlockedBy);
        Assert.Contains(dupes.Reasons, r => r.Contains("all 3 reserve leads duplicate"));
    }

    [Fact]
    public void Missing_or_inconsistent_metrics_hold()
    {
        var missing = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default, null, Monday9));
        var negative = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(ReplenishmentPolicy.Default, Metrics(Reserve("A", 5, 1), a: -1), Monday9));

        Assert.Equal("metrics_error", missing.BlockedBy);
        Assert.Equal("metrics_unavailable", missing.Code);
        Assert.Equal(ReplenishmentBlock.MetricsUnavailable, negative.Block);
    }

    [Fact]
    public void An_invalid_policy_is_a_programming_error()
    {
        var policy = ReplenishmentPolicy.Default with { TargetTotalLeads = 10 };

        Assert.Throws<ArgumentException>(() => ReplenishmentPlanner.Plan(policy, Metrics([]), Monday9));
    }

    [Theory]
    [InlineData(ReplenishmentBlock.MetricsUnavailable, "metrics_unavailable")]
    [InlineData(ReplenishmentBlock.NoTrigger, "no_trigger")]
    [InlineData(ReplenishmentBlock.Holiday, "holiday")]
    [InlineData(ReplenishmentBlock.OutsideBusinessHours, "outside_business_hours")]
    [InlineData(ReplenishmentBlock.Cooldown, "cooldown")]
    [InlineData(ReplenishmentBlock.DailyCap, "daily_cap")]
    [InlineData(ReplenishmentBlock.AgentOverload, "agent_overload")]
    [InlineData(ReplenishmentBlock.ReserveEmpty, "reserve_empty")]
    public void Block_codes_are_stable(ReplenishmentBlock block, string code) =>
        Assert.Equal(code, block.Code());

    [Fact]
    public void Block_precedence_follows_the_contract_order_of_blocked_by()
    {
        string[] contract = ["metrics_error", "business_hours", "cooldown", "daily_cap", "sufficient", "reserve_empty"];

        var mapped = Enum.GetValues<ReplenishmentBlock>().Order().Select(b => Array.IndexOf(contract, b.BlockedBy())).ToList();

        Assert.DoesNotContain(-1, mapped);
        Assert.Equal(mapped.Order(), mapped);
    }

    [Fact]
    public void Every_block_at_once_reports_business_hours_first_after_metrics()
    {
        var policy = ReplenishmentPolicyTests.Valid("""{ "holidays": ["2025-01-06"], "upload_controls": { "max_daily_uploads": 10 } }""");

        var hold = Assert.IsType<Hold>(ReplenishmentPlanner.Plan(policy,
            Metrics([], aPlus: 10, a: 30, b: 20, releasedToday: 10, last: Monday9.AddMinutes(-1)), Monday9));

        Assert.Equal("business_hours", hold.BlockedBy);
        foreach (var code in new[] { "holiday:", "cooldown:", "daily_cap:", "no_trigger:", "reserve_empty:" })
            Assert.Contains(hold.Reasons, r => r.StartsWith(code, StringComparison.Ordinal));
    }
}
