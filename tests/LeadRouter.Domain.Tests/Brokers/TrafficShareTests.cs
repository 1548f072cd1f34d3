using CsCheck;
using LeadRouter.Domain.Brokers;
using static LeadRouter.Domain.Tests.Brokers.BrokerGen;

namespace LeadRouter.Domain.Tests.Brokers;

/// <summary>DESIGN rule 3: after N leads every broker holds N × weight / Σweights within about one lead, at every N.</summary>
public sealed class TrafficShareTests
{
    static List<long> RouteAll(List<BrokerState> brokers, int leads) =>
        BrokerRouting.RouteBatch(LeadsFrom(1, leads), brokers, NoCounts, NoGroups, Now)
            .Decisions.Select(d => Assert.IsType<Routed>(d).BrokerId).ToList();

    // Routes in batches, passing only the stored group states and counts from one batch to the next (a restart between each).
    static List<long> RouteInBatches(List<BrokerState> brokers, IEnumerable<int> batchSizes, Action<List<long>>? afterBatch = null)
    {
        IReadOnlyDictionary<RoutingGroupKey, RoutingGroupState> groups = NoGroups;
        IReadOnlyDictionary<long, CapCounts> counts = NoCounts;
        var picks = new List<long>();
        foreach (var size in batchSizes)
        {
            var batch = BrokerRouting.RouteBatch(LeadsFrom(picks.Count + 1, size), brokers, counts, groups, Now);
            picks.AddRange(batch.Decisions.Select(d => Assert.IsType<Routed>(d).BrokerId));
            groups = batch.Groups.ToDictionary(g => g.Key, g => new RoutingGroupState(g.Value.CurrentWeights.ToDictionary()));
            counts = batch.Counts;
            afterBatch?.Invoke(picks);
        }

        return picks;
    }

    static Gen<int[]> Weights(int minBrokers, int maxBrokers) =>
        Gen.Int[minBrokers, maxBrokers].SelectMany(n => Gen.Frequency((1, Gen.Int[1, 100]), (1, Gen.OneOf(1, 2, 3, 5, 50, 99, 100))).Array[n]);

    [Fact]
    public void Up_to_four_brokers_stay_under_one_lead_of_their_share_at_every_N() =>
        Gen.Select(Weights(1, 4), Gen.Int[1, 600]).Sample((weights, leads) =>
            MaxDeviation(weights, RouteAll(Plain(weights), leads)) < 1.0);

    [Fact]
    public void Five_to_twelve_brokers_stay_under_1_05_of_their_share_at_every_N() =>
        Gen.Select(Weights(5, 12), Gen.Int[1, 1300]).Sample((weights, leads) =>
            MaxDeviation(weights, RouteAll(Plain(weights), leads)) < 1.05, iter: 300);

    [Fact]
    public void Any_number_of_brokers_stays_within_the_earliest_deadline_bound() =>
        Gen.Select(Weights(2, 20), Gen.Int[1, 800]).Sample((weights, leads) =>
            MaxDeviation(weights, RouteAll(Plain(weights), leads)) <= 1 - 1.0 / (2 * weights.Length - 2) + 1e-9, iter: 40);

    [Fact]
    public void Routing_in_batches_with_the_state_carried_through_picks_exactly_what_one_run_picks() =>
        Gen.Select(Weights(1, 12), Gen.Int[1, 200].Array[1, 6]).Sample((weights, batchSizes) =>
        {
            var brokers = Plain(weights);
            var batched = RouteInBatches(brokers, batchSizes);
            var single = RouteAll(brokers, batchSizes.Sum());
            return batched.SequenceEqual(single)
                && MaxDeviation(weights, batched) < (weights.Length <= 4 ? 1.0 : 1.05);
        }, iter: 50);

    [Fact]
    public void Routing_one_lead_at_a_time_picks_exactly_what_a_batch_picks() =>
        Gen.Select(Weights(1, 8), Gen.Int[1, 150]).Sample((weights, leads) =>
        {
            var brokers = Plain(weights);
            IReadOnlyDictionary<RoutingGroupKey, RoutingGroupState> groups = NoGroups;
            var picks = new List<long>();
            foreach (var lead in LeadsFrom(1, leads))
            {
                var routed = Assert.IsType<Routed>(BrokerRouting.Route(lead, brokers, NoCounts, groups, Now));
                groups = new Dictionary<RoutingGroupKey, RoutingGroupState> { [routed.GroupKey] = routed.NewState };
                picks.Add(routed.BrokerId);
            }

            return picks.SequenceEqual(RouteAll(brokers, leads));
        }, iter: 50);

    [Fact]
    public void Weights_50_30_20_over_10037_leads_in_three_batches_stay_within_1_05_after_every_lead_and_batch()
    {
        int[] weights = [50, 30, 20];
        var brokers = Plain(weights);
        var afterBatches = new List<double>();

        var picks = RouteInBatches(brokers, [3_000, 4_000, 3_037], p => afterBatches.Add(MaxDeviation(weights, p)));

        Assert.Equal(10_037, picks.Count);
        Assert.All(afterBatches, d => Assert.True(d < 1.05, $"deviation {d}"));
        Assert.True(MaxDeviation(weights, picks) < 1.0);
        var counts = weights.Select((_, i) => picks.Count(id => id == i + 1)).ToArray();
        Assert.InRange(counts[0], 5_018, 5_019); // 10,037 × 0.5 = 5,018.5
        Assert.InRange(counts[1], 3_011, 3_012); // 3,011.1
        Assert.InRange(counts[2], 2_007, 2_008); // 2,007.4
    }

    [Fact]
    public void The_rotation_returns_to_zero_after_sum_of_weights_leads()
    {
        var brokers = Plain(50, 30, 20);

        var batch = BrokerRouting.RouteBatch(LeadsFrom(1, 100), brokers, NoCounts, NoGroups, Now);

        var state = Assert.Single(batch.Groups).Value;
        Assert.All(state.CurrentWeights.Values, c => Assert.Equal(0, c));
    }

    [Fact]
    public void Equal_weights_tie_to_the_lowest_broker_id_whatever_the_list_order()
    {
        List<BrokerState> brokers = [new(7, "Seven", true, 5, 40, []), new(3, "Three", true, 5, 40, [])];

        var batch = BrokerRouting.RouteBatch(LeadsFrom(1, 4), brokers, NoCounts, NoGroups, Now);

        Assert.Equal([3L, 7L, 3L, 7L], batch.Decisions.Select(d => ((Routed)d).BrokerId));
    }

    [Fact]
    public void A_capped_broker_sits_out_with_its_state_kept_while_the_others_rotate()
    {
        var brokers = Plain(50, 30, 20);
        var first = BrokerRouting.RouteBatch(LeadsFrom(1, 7), brokers, NoCounts, NoGroups, Now);
        var kept = first.Groups.Single().Value.CurrentOf(1);
        var capped = brokers.Select(b => b.BrokerId == 1 ? b with { HourlyCap = 1 } : b).ToList();

        var second = BrokerRouting.RouteBatch(LeadsFrom(8, 50), capped, first.Counts, first.Groups, Now);

        Assert.All(second.Decisions, d => Assert.NotEqual(1, ((Routed)d).BrokerId));
        Assert.Equal(kept, second.Groups.Single().Value.CurrentOf(1));
        var two = second.Decisions.Count(d => ((Routed)d).BrokerId == 2);
        Assert.InRange(two, 29, 31); // 50 × 30 / 50
    }

    // The nginx pick (largest current) with the same state and update, kept here to show why the pick differs.
    static List<long> LargestCurrentPicks(int[] weights, int leads)
    {
        var current = new long[weights.Length];
        var total = weights.Sum();
        var picks = new List<long>();
        for (var n = 0; n < leads; n++)
        {
            for (var i = 0; i < weights.Length; i++) current[i] += weights[i];
            var best = 0;
            for (var i = 1; i < weights.Length; i++) if (current[i] > current[best]) best = i;
            current[best] -= total;
            picks.Add(best + 1);
        }

        return picks;
    }

    [Fact]
    public void The_largest_current_pick_of_nginx_would_drift_past_1_05_with_five_uneven_brokers()
    {
        int[] weights = [100, 100, 5, 5, 1];

        var nginx = MaxDeviation(weights, LargestCurrentPicks(weights, 211));
        var ours = MaxDeviation(weights, RouteAll(Plain(weights), 211));

        Assert.True(nginx > 1.1, $"nginx {nginx}");
        Assert.True(ours < 0.876, $"ours {ours}"); // 1 − 1/8
    }

    [Fact]
    public void Weighted_random_as_in_seed_003_drifts_by_dozens_over_10000_leads()
    {
        int[] weights = [50, 30, 20];
        var random = new Random(20250106); // fixed seed: the test is about the size of the drift, not luck
        var picks = Enumerable.Range(0, 10_000).Select(_ =>
        {
            var roll = random.NextDouble() * 100;
            return roll < 50 ? 1L : roll < 80 ? 2L : 3L;
        }).ToList();

        Assert.True(MaxDeviation(weights, picks) > 10);
        Assert.True(MaxDeviation(weights, RouteAll(Plain(weights), 10_000)) < 1);
    }
}
