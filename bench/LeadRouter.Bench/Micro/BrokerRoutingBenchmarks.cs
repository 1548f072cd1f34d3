using BenchmarkDotNet.Attributes;
using LeadRouter.Domain.Brokers;

namespace LeadRouter.Bench.Micro;

/// <summary>
/// <see cref="BrokerRouting.RouteBatch"/> for 10k leads over 30 brokers: three priority levels, country lists and
/// per-country weights, amount bands, hourly/daily/monthly caps in several time zones (some reached within the batch).
/// </summary>
/// <remarks>BenchmarkDotNet needs public, unsealed benchmark classes.</remarks>
[MemoryDiagnoser]
public class BrokerRoutingBenchmarks
{
    static readonly DateTimeOffset Now = new(2025, 3, 14, 10, 30, 0, TimeSpan.Zero);
    List<LeadFacts> leads = null!;
    List<BrokerState> brokers = null!;
    Dictionary<long, CapCounts> counts = null!;
    Dictionary<RoutingGroupKey, RoutingGroupState> groups = null!;

    [Params(10_000)]
    public int Leads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        string[] countries = ["AE", "SA", "GB", "DE", "IN", "US", "CA", "AU"];
        string[] zones = ["UTC", "Asia/Dubai", "Europe/London", "Asia/Kolkata"];
        brokers = Enumerable.Range(1, 30).Select(i => new BrokerState(
            BrokerId: i, Name: $"Broker {i}", Active: i % 11 != 0, Priority: i % 3 * 3, Weight: 10 + i * 7 % 90,
            AcceptedCountries: i % 4 == 0 ? [] : countries.OrderBy(_ => random.Next()).Take(3).ToArray(),
            TimeZoneId: zones[i % zones.Length],
            CountryWeights: i % 5 == 0 ? new Dictionary<string, int> { ["AE"] = 60, ["SA"] = 40 } : null,
            MinAmount: i % 6 == 0 ? 250m : null, MaxAmount: i % 7 == 0 ? 20_000m : null,
            HourlyCap: i % 3 == 0 ? 200 : null, DailyCap: i % 2 == 0 ? 1_500 : null, MonthlyCap: i % 5 == 1 ? 20_000 : null)).ToList();
        counts = brokers.Where(b => b.BrokerId % 2 == 0).ToDictionary(b => b.BrokerId, b => new CapCounts((int)b.BrokerId, 100, 1_000));
        groups = [];
        leads = Enumerable.Range(1, Leads).Select(i => new LeadFacts(i,
            random.Next(20) == 0 ? null : countries[random.Next(countries.Length)],
            random.Next(10) == 0 ? null : random.Next(50, 30_000))).ToList();
    }

    [Benchmark]
    public BatchRouting RouteBatch() => BrokerRouting.RouteBatch(leads, brokers, counts, groups, Now);
}
