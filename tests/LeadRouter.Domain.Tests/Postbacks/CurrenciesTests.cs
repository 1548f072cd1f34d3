using CsCheck;
using LeadRouter.Domain.Postbacks;

namespace LeadRouter.Domain.Tests.Postbacks;

public sealed class CurrenciesTests
{
    [Theory]
    [InlineData("USD", "12.5", 1250L)]
    [InlineData("EUR", "0.01", 1L)]
    [InlineData("JPY", "1500", 1500L)]
    [InlineData("KRW", "1000.0", 1000L)]
    [InlineData("KWD", "12.345", 12345L)]
    [InlineData("BHD", "0.001", 1L)]
    [InlineData("OMR", "1", 1000L)]
    [InlineData("CLF", "1.2345", 12345L)]
    public void Amounts_become_exact_minor_units_and_come_back_with_the_currencys_decimals(string code, string amount, long minor)
    {
        var value = decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(minor, Currencies.ToMinor(value, code));
        Assert.Equal(value, Currencies.FromMinor(minor, code));
        Assert.Equal(Currencies.MinorUnits(code), Currencies.FromMinor(minor, code).Scale);
    }

    [Theory]
    [InlineData("USD", "12.345")]
    [InlineData("JPY", "0.5")]
    [InlineData("KWD", "1.0001")]
    public void More_decimals_than_the_currency_has_are_refused(string code, string amount) =>
        Assert.Null(Currencies.ToMinor(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), code));

    [Theory]
    [InlineData("usd", "USD")]
    [InlineData(" eur ", "EUR")]
    [InlineData("XYZ", null)]
    [InlineData("US", null)]
    [InlineData("", null)]
    public void Only_ISO_4217_codes_are_known(string code, string? normalized) => Assert.Equal(normalized, Currencies.Normalize(code));

    [Fact]
    public void Formatting_keeps_trailing_zeros() => Assert.Equal("120.50", Currencies.Format(12050, "USD"));
}

public sealed class PostbackRulesTests
{
    [Theory]
    [InlineData(new[] { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200 }, 190)]
    [InlineData(new[] { 50, 70 }, 70)]
    [InlineData(new[] { 5 }, 5)]
    [InlineData(new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9 }, 1)]
    public void P95_is_the_nearest_rank(int[] values, int expected) =>
        Assert.Equal(expected, PostbackRules.NearestRank(values.GroupBy(v => v).Select(g => (g.Key, (long)g.Count())), 95));

    [Fact]
    public void No_values_have_no_percentile() => Assert.Null(PostbackRules.NearestRank([], 95));

    [Fact]
    public void The_percentile_of_a_histogram_in_any_order_is_the_nearest_rank_of_its_values() =>
        Gen.Int[0, 40].Array[0, 60].Select(Gen.Int[1, 99]).Sample((values, percent) =>
        {
            var sorted = values.Order().ToArray();
            int? expected = sorted.Length == 0 ? null : sorted[(int)Math.Ceiling(percent * sorted.Length / 100m) - 1];
            var histogram = values.GroupBy(v => v).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count())).ToList();
            return PostbackRules.NearestRank(histogram, percent) == expected
                && PostbackRules.NearestRank(histogram.AsEnumerable().Reverse(), percent) == expected;
        });

    [Fact]
    public void The_percentile_of_runs_is_the_nearest_rank_of_all_their_values() =>
        // Each run: entries in any order, either each counted once (no counts) or with counts 0–3 (values repeat).
        Gen.Bool.Select(Gen.Int[-5, 40].Select(Gen.Long[0, 3]).Array[0, 30]).Array[0, 6].Select(Gen.Int[1, 99]).Sample((runs, percent) =>
        {
            var entries = runs.SelectMany(r => r.Item2.Select(e => (e.Item1, r.Item1 ? 1 : e.Item2))).ToArray();
            var all = entries.SelectMany(e => Enumerable.Repeat(e.Item1, (int)e.Item2)).Order().ToArray();
            int? expected = all.Length == 0 ? null : all[(int)Math.Ceiling(percent * all.Length / 100m) - 1];
            var sortedRuns = runs.Select(r => SortedRun.Of(r.Item2.Select(e => e.Item1).ToArray(), r.Item1 ? null : r.Item2.Select(e => e.Item2).ToArray())).ToList();
            return PostbackRules.NearestRankOfRuns(sortedRuns, percent) == expected && PostbackRules.NearestRank(entries, percent) == expected;
        });

    [Fact]
    public void A_run_counts_the_entries_at_or_below_a_value()
    {
        var run = SortedRun.Of([30, 10, 20, 20], [1, 2, 3, 4]);

        Assert.Equal([10, 20, 20, 30], run.Values);
        Assert.Equal([0L, 2, 9, 10, 10], new[] { 9, 10, 20, 30, 31 }.Select(run.CountAtOrBelow));
        Assert.Equal(10, run.Count);
        Assert.Equal(3, SortedRun.Of([int.MaxValue, int.MinValue, 0], null).CountAtOrBelow(int.MaxValue));
    }

    [Theory]
    [InlineData(OutcomeKind.Converted, LeadStage.Pending, LeadStage.Converted)]
    [InlineData(OutcomeKind.Converted, LeadStage.Lost, LeadStage.Converted)]
    [InlineData(OutcomeKind.Converted, LeadStage.Converted, null)]
    [InlineData(OutcomeKind.Lost, LeadStage.Contacted, LeadStage.Lost)]
    [InlineData(OutcomeKind.Lost, LeadStage.Converted, null)]
    [InlineData(OutcomeKind.Contacted, LeadStage.Pending, LeadStage.Contacted)]
    [InlineData(OutcomeKind.Contacted, LeadStage.Qualified, null)]
    [InlineData(OutcomeKind.Accepted, LeadStage.Pending, null)]
    [InlineData(OutcomeKind.Deposit, LeadStage.Pending, null)]
    public void Postbacks_move_the_status_only_forward_where_meaningful(OutcomeKind kind, LeadStage from, LeadStage? to) =>
        Assert.Equal(to, PostbackRules.Decide(kind, from, hasAmount: false, hasFirstDeposit: false, hasConvertedAt: false).NewStatus);

    [Fact]
    public void Only_the_first_deposit_with_an_amount_counts_as_the_first_deposit()
    {
        Assert.True(PostbackRules.Decide(OutcomeKind.Deposit, LeadStage.Pending, true, false, false).SetsFirstDeposit);
        Assert.False(PostbackRules.Decide(OutcomeKind.Deposit, LeadStage.Pending, true, true, false).SetsFirstDeposit);
        Assert.False(PostbackRules.Decide(OutcomeKind.Deposit, LeadStage.Pending, false, false, false).SetsFirstDeposit);
    }
}
