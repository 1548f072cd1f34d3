namespace LeadRouter.Domain.Brokers;

/// <summary>
/// The retry rules of broker deliveries: how many retries follow the first attempt, the delay before each retry
/// (the last one repeats when there are more retries than delays), the jitter added on top (a fraction of the delay)
/// and after how many failed attempts in a row a broker is paused.
/// </summary>
public sealed record DeliveryRules(int MaxRetries, IReadOnlyList<TimeSpan> RetryDelays, double Jitter, int PauseAfterFailures)
{
    /// <summary>5 retries at 10 s, 1 min, 5 min, 15 min and 1 h, up to 20 % jitter, pause after 10 failures in a row.</summary>
    public static DeliveryRules Default { get; } = new(5,
        [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1)],
        0.2, 10);
}

/// <summary>What to do with a delivery after one attempt.</summary>
public abstract record AttemptDecision
{
    /// <summary>True for failures (retry, rejected, dead): they count towards pausing the broker.</summary>
    public abstract bool Failed { get; }
}

/// <summary>The endpoint answered 2xx.</summary>
public sealed record DeliveredAttempt : AttemptDecision
{
    public override bool Failed => false;
}

/// <summary>A 4xx other than 408 / 429: the receiver refused the lead; no retry.</summary>
public sealed record RejectedAttempt : AttemptDecision
{
    public override bool Failed => true;
}

/// <summary>A transient failure with retries left: try again at <paramref name="At"/>.</summary>
public sealed record RetryAttempt(DateTimeOffset At) : AttemptDecision
{
    public override bool Failed => true;
}

/// <summary>A transient failure after the last retry: the delivery is dead.</summary>
public sealed record DeadAttempt : AttemptDecision
{
    public override bool Failed => true;
}

/// <summary>
/// What a batch of attempts does to a broker's failures in a row: when <paramref name="Reset"/>, set it to
/// <paramref name="Failures"/> (a success came first); otherwise add <paramref name="Failures"/>.
/// </summary>
public readonly record struct FailureRun(bool Reset, int Failures);

/// <summary>
/// Decides the outcome of one push attempt (pure; the jitter sample comes in). 2xx → delivered; 408, 429, 5xx, and no
/// answer at all (timeout, connection error, refused by the address guard) → retry while retries are left, else dead;
/// any other status (4xx, and 1xx/3xx since redirects are not followed) → rejected. A <c>Retry-After</c> longer than
/// the ladder's delay wins (capped at the longest ladder step), so a receiver asking for a pause gets it.
/// </summary>
public static class DeliveryPolicy
{
    /// <summary>True for answers that mean "try again later".</summary>
    public static bool IsTransient(int? httpStatus) => httpStatus is null or 408 or 429 or >= 500;

    /// <param name="attempt">The attempt just made, 1-based.</param>
    /// <param name="httpStatus">The answer's status code, or null when there was no answer.</param>
    /// <param name="retryAfter">The answer's <c>Retry-After</c> delay, if any.</param>
    /// <param name="rules">The retry rules.</param>
    /// <param name="now">When the attempt ended (UTC).</param>
    /// <param name="jitterSample">A number in [0, 1) scaling <see cref="DeliveryRules.Jitter"/>.</param>
    public static AttemptDecision Decide(int attempt, int? httpStatus, TimeSpan? retryAfter, DeliveryRules rules, DateTimeOffset now, double jitterSample)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (httpStatus is >= 200 and < 300) return new DeliveredAttempt();
        if (!IsTransient(httpStatus)) return new RejectedAttempt();
        if (attempt > rules.MaxRetries || rules.RetryDelays.Count == 0) return new DeadAttempt();
        var delay = rules.RetryDelays[Math.Min(attempt, rules.RetryDelays.Count) - 1];
        delay += TimeSpan.FromTicks((long)(delay.Ticks * rules.Jitter * Math.Clamp(jitterSample, 0, 1)));
        if (retryAfter is { } ra && ra > delay) delay = ra < rules.RetryDelays[^1] ? ra : rules.RetryDelays[^1];
        return new RetryAttempt(now + delay);
    }

    /// <summary>
    /// How a batch of attempts to one broker changes its failures in a row, given each attempt's outcome in the order the
    /// attempts ended (true = failed). With a success in the batch the count restarts: it becomes the failures after the
    /// last success (<see cref="FailureRun.Reset"/>). Without one, the batch's failures add to the stored count.
    /// </summary>
    public static FailureRun FailuresInRow(IEnumerable<bool> failedInOrder)
    {
        ArgumentNullException.ThrowIfNull(failedInOrder);
        var reset = false;
        var failures = 0;
        foreach (var failed in failedInOrder)
        {
            if (failed) failures++;
            else (reset, failures) = (true, 0);
        }
        return new FailureRun(reset, failures);
    }

    /// <summary>True when the broker's failures in a row reach the limit and it is to be paused.</summary>
    public static bool ShouldPause(int consecutiveFailures, DeliveryRules rules) =>
        rules.PauseAfterFailures > 0 && consecutiveFailures >= rules.PauseAfterFailures;
}
