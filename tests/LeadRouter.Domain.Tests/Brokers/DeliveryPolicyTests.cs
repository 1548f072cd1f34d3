using CsCheck;
using LeadRouter.Domain.Brokers;

namespace LeadRouter.Domain.Tests.Brokers;

public sealed class DeliveryPolicyTests
{
    static readonly DateTimeOffset Now = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);
    static readonly DeliveryRules Rules = DeliveryRules.Default;

    [Theory]
    [InlineData(200)]
    [InlineData(204)]
    [InlineData(299)]
    public void Two_hundreds_are_delivered(int status) =>
        Assert.IsType<DeliveredAttempt>(DeliveryPolicy.Decide(1, status, null, Rules, Now, 0));

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(422)]
    [InlineData(302)]
    public void Other_client_errors_and_redirects_are_rejected_without_retry(int status) =>
        Assert.IsType<RejectedAttempt>(DeliveryPolicy.Decide(1, status, null, Rules, Now, 0));

    [Fact]
    public void Transient_failures_follow_the_ladder_then_die_after_the_fifth_retry()
    {
        int?[] answers = [500, 503, 408, 429, null];
        var delays = answers.Select((s, i) => ((RetryAttempt)DeliveryPolicy.Decide(i + 1, s, null, Rules, Now, 0)).At - Now).ToList();

        Assert.Equal([10, 60, 300, 900, 3600], delays.Select(d => (int)d.TotalSeconds));
        Assert.IsType<DeadAttempt>(DeliveryPolicy.Decide(6, 500, null, Rules, Now, 0));
    }

    [Fact]
    public void Jitter_adds_at_most_its_fraction_and_a_longer_retry_after_wins_up_to_the_last_step()
    {
        var jittered = ((RetryAttempt)DeliveryPolicy.Decide(2, 503, null, Rules, Now, 0.999)).At - Now;
        var asked = ((RetryAttempt)DeliveryPolicy.Decide(1, 429, TimeSpan.FromSeconds(120), Rules, Now, 0)).At - Now;
        var tooLong = ((RetryAttempt)DeliveryPolicy.Decide(1, 429, TimeSpan.FromDays(1), Rules, Now, 0)).At - Now;
        var shorter = ((RetryAttempt)DeliveryPolicy.Decide(3, 429, TimeSpan.FromSeconds(1), Rules, Now, 0)).At - Now;

        Assert.InRange(jittered.TotalSeconds, 60, 72);
        Assert.Equal(120, asked.TotalSeconds);
        Assert.Equal(3600, tooLong.TotalSeconds);
        Assert.Equal(300, shorter.TotalSeconds);
    }

    [Fact]
    public void A_broker_is_paused_at_the_failure_limit_and_never_when_it_is_zero()
    {
        Assert.False(DeliveryPolicy.ShouldPause(9, Rules));
        Assert.True(DeliveryPolicy.ShouldPause(10, Rules));
        Assert.False(DeliveryPolicy.ShouldPause(1000, Rules with { PauseAfterFailures = 0 }));
    }

    [Theory]
    [InlineData(new bool[0], false, 0)]
    [InlineData(new[] { true, true, true }, false, 3)]
    [InlineData(new[] { true, false, true, true }, true, 2)]
    [InlineData(new[] { true, true, false }, true, 0)]
    public void A_batch_adds_its_failures_or_restarts_the_count_after_its_last_success(bool[] failed, bool reset, int failures) =>
        Assert.Equal(new FailureRun(reset, failures), DeliveryPolicy.FailuresInRow(failed));

    [Fact]
    public void Failures_in_row_over_batches_equal_counting_attempt_by_attempt() =>
        Gen.Int[0, 1].Select(i => i == 1).Array[0, 30].Array[1, 6].Sample(batches =>
        {
            int stored = 0, oneByOne = 0;
            foreach (var batch in batches)
            {
                var run = DeliveryPolicy.FailuresInRow(batch);
                stored = run.Reset ? run.Failures : stored + run.Failures;
                foreach (var failed in batch) oneByOne = failed ? oneByOne + 1 : 0;
            }
            return stored == oneByOne;
        });
}
