using CsCheck;
using LeadRouter.Domain.Brokers;

namespace LeadRouter.Domain.Tests.Brokers;

/// <summary>Generators and small helpers shared by the broker routing tests.</summary>
static class BrokerGen
{
    public static readonly DateTimeOffset Now = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    public static readonly string[] Zones = ["UTC", "Asia/Dubai", "Asia/Kolkata", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu"];

    static readonly string[][] CountrySets = [[], ["AE"], ["SA"], ["AE", "SA"], ["ae", " KW "]];

    /// <summary>Brokers that differ in everything routing looks at, ids 1..n in a shuffled list order.</summary>
    public static readonly Gen<List<BrokerState>> Brokers =
        Gen.Int[0, 8].SelectMany(n =>
            Gen.Select(
                Gen.Frequency((9, Gen.Const(true)), (1, Gen.Const(false))), Gen.Int[0, 3], Gen.Frequency((1, Gen.Const(0)), (6, Gen.Int[1, 100])),
                Gen.OneOf(CountrySets), Gen.Nullable(Gen.Int[0, 100], 0.7), Gen.Nullable(Gen.Int[0, 500], 0.7), Gen.Nullable(Gen.Int[1, 5], 0.6),
                Gen.Nullable(Gen.Int[1, 20], 0.6), Gen.Nullable(Gen.Int[1, 60], 0.7), Gen.OneOf(Zones),
                (active, priority, weight, countries, aeWeight, min, hourly, daily, monthly, zone) => (Func<long, BrokerState>)(id => new BrokerState(
                    BrokerId: id, Name: $"B{id}", Active: active, Priority: priority, Weight: weight,
                    AcceptedCountries: countries, TimeZoneId: zone,
                    CountryWeights: aeWeight is { } ae ? new Dictionary<string, int> { ["AE"] = ae } : null,
                    MinAmount: min, MaxAmount: min + 500,
                    HourlyCap: hourly, DailyCap: daily, MonthlyCap: monthly)))
            .Array[n]
            .Select(makers => makers.Select((make, i) => make(i + 1)).ToArray()))
        .SelectMany(brokers => Gen.Shuffle(brokers).Select(b => b.ToList()));

    public static readonly Gen<LeadFacts> Lead =
        Gen.Select(Gen.OneOf<string?>("AE", "SA", "KW", "ae", null), Gen.Nullable(Gen.Int[0, 1200], 0.2))
            .Select((country, amount) => new LeadFacts(0, country, amount));

    public static readonly Gen<List<LeadFacts>> Leads =
        Lead.List[0, 120].Select(leads => leads.Select((l, i) => l with { LeadId = i + 1 }).ToList());

    /// <summary>Starting counts, nested (hour ≤ day ≤ month); some start at or past a cap, as after a cap was lowered.</summary>
    public static Gen<Dictionary<long, CapCounts>> CountsFor(List<BrokerState> brokers) =>
        Gen.Select(Gen.Int[0, 6], Gen.Int[0, 15], Gen.Int[0, 60]).Array[brokers.Count].Select(raw =>
            brokers.Select((b, i) => (b.BrokerId, raw[i])).ToDictionary(
                x => x.BrokerId,
                x => new CapCounts(x.Item2.Item1, x.Item2.Item1 + x.Item2.Item2, x.Item2.Item1 + x.Item2.Item2 + x.Item2.Item3)));

    /// <summary>Brokers of one priority that take every lead, weights as given, ids 1..n.</summary>
    public static List<BrokerState> Plain(params int[] weights) =>
        weights.Select((w, i) => new BrokerState(i + 1, $"B{i + 1}", true, 5, w, [])).ToList();

    public static List<LeadFacts> LeadsFrom(long firstId, int count, string? country = "AE", decimal? amount = 100) =>
        Enumerable.Range(0, count).Select(i => new LeadFacts(firstId + i, country, amount)).ToList();

    public static readonly Dictionary<long, CapCounts> NoCounts = [];
    public static readonly Dictionary<RoutingGroupKey, RoutingGroupState> NoGroups = [];

    /// <summary>
    /// Largest |count − N × weight / Σweights| over every broker (ids 1..n) and every prefix N of the routed leads.
    /// </summary>
    public static double MaxDeviation(IReadOnlyList<int> weights, IEnumerable<long> brokerIdPerLead)
    {
        var total = (double)weights.Sum();
        var counts = new long[weights.Count];
        var n = 0;
        var worst = 0.0;
        foreach (var id in brokerIdPerLead)
        {
            n++;
            counts[id - 1]++;
            for (var i = 0; i < weights.Count; i++)
                worst = Math.Max(worst, Math.Abs(counts[i] - n * weights[i] / total));
        }

        return worst;
    }
}
