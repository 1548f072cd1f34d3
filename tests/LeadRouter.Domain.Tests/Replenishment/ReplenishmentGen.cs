using CsCheck;
using LeadRouter.Domain.Replenishment;

namespace LeadRouter.Domain.Tests.Replenishment;

/// <summary>Generators for replenishment properties: small valid policies and metrics with deliberate duplicates.</summary>
static class ReplenishmentGen
{
    public static readonly DateTimeOffset Now = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    public static readonly string[] GradeNames = ["A+", "A", "B", "C"];

    public static readonly Gen<ReplenishmentPolicy> Policies =
        Gen.Select(Gen.Int[0, 300], Gen.Int[0, 300], Gen.Int[0, 60].Array[3], Gen.Int[1, 120], Gen.Int[0, 600],
                Gen.Int[0, 90], Gen.Int[0, 10].Array[3], Gen.Int[1, 40].Nullable(0.7))
            .Select((min, extra, minimums, perRun, daily, cooldownMinutes, weights, perAgent) =>
            {
                if (weights.Sum() == 0) weights[1] = 1;
                var sum = (double)weights.Sum();
                return ReplenishmentPolicy.Default with
                {
                    MinTotalLeads = min,
                    TargetTotalLeads = min + extra,
                    MinGradeLeads = new Dictionary<string, int> { ["A+"] = minimums[0], ["A"] = minimums[1], ["B"] = minimums[2] },
                    MaxUploadPerRun = perRun,
                    MaxDailyUploads = daily,
                    Cooldown = TimeSpan.FromMinutes(cooldownMinutes),
                    Mix = new Dictionary<string, double>
                    {
                        ["A+"] = weights[0] * 100 / sum,
                        ["A"] = weights[1] * 100 / sum,
                        ["B"] = weights[2] * 100 / sum,
                    },
                    MaxAvailableLeadsPerAgent = perAgent,
                };
            });

    static readonly Gen<ReserveLead[]> ReserveWithDuplicates =
        Gen.Select(Gen.OneOf(GradeNames), Gen.Int[0, 100].Nullable(), Gen.Int[0, 60].Nullable(), Gen.Int[0, 60].Nullable(), Gen.Bool)
            .List[0, 150]
            .Select(rows => rows.Select((r, i) => new ReserveLead(i + 1, r.Item5 ? r.Item1.ToLowerInvariant() : r.Item1, r.Item2,
                r.Item3 is { } e ? (r.Item5 ? $"P{e}@X.TEST" : $"p{e}@x.test") : null,
                r.Item4 is { } p ? $"+1555000{p:00}" : null)).ToArray());

    static readonly Gen<ReserveLead[]> ReserveUnique =
        Gen.Select(Gen.OneOf(GradeNames), Gen.Int[0, 100].Nullable())
            .List[0, 150]
            .Select(rows => rows.Select((r, i) => new ReserveLead(i + 1, r.Item1, r.Item2, $"r{i}@x.test", $"+4420{i:000000}")).ToArray());

    static Gen<ReplenishmentMetrics> Metrics(Gen<ReserveLead[]> reserve) =>
        Gen.Select(Gen.Int[0, 80].Array[4], Gen.Int[0, 10], Gen.Frequency((3, Gen.Int[0, 100]), (1, Gen.Int[0, 600])), Gen.Int[0, 180].Nullable(0.5), reserve,
                Gen.Int[0, 60].Array[0, 20], Gen.Int[0, 60].Array[0, 20], Gen.Double[0, 0.3].Array[3].Null())
            .Select((available, agents, releasedToday, minutesAgo, leads, emails, phones, rates) => new ReplenishmentMetrics(
                GradeNames.Select((g, i) => (g, available[i])).ToDictionary(x => x.g, x => x.Item2),
                agents,
                releasedToday,
                minutesAgo is { } m ? Now.AddMinutes(-m) : null,
                leads,
                emails.Select(e => $"p{e}@x.test").ToHashSet(),
                phones.Select(p => $"+1555000{p:00}").ToHashSet(),
                rates is null ? null : new Dictionary<string, double> { ["A+"] = rates[0], ["A"] = rates[1], ["B"] = rates[2] }));

    /// <summary>Metrics whose reserve repeats e-mails and phones (of each other and of the pool), with mixed-case grades.</summary>
    public static readonly Gen<ReplenishmentMetrics> MetricsWithDuplicates = Metrics(ReserveWithDuplicates);

    /// <summary>Metrics whose reserve has no duplicate at all.</summary>
    public static readonly Gen<ReplenishmentMetrics> MetricsUnique = Metrics(ReserveUnique);
}
