namespace LeadRouter.Domain.Brokers;

/// <summary>
/// One broker's routing rules as loaded inside the routing transaction (seed 003's broker row, DESIGN rule 3).
/// </summary>
/// <param name="BrokerId">Broker id; also breaks ties in the rotation (lowest id first).</param>
/// <param name="Name">Broker display name.</param>
/// <param name="Active">False: the broker takes no leads (excluded as <see cref="ExclusionReason.Inactive"/>).</param>
/// <param name="Priority">0–10, higher number = higher priority: only the top eligible priority level gets the lead.</param>
/// <param name="Weight">Traffic weight 0–100 (seed 003's "traffic percentage"); a relative share, weights need not sum to 100. 0 = takes no traffic.</param>
/// <param name="AcceptedCountries">ISO 3166-1 alpha-2 codes (case-insensitive); empty = every country.</param>
/// <param name="TimeZoneId">IANA time zone (e.g. <c>Asia/Dubai</c>) in which the hour, day and month cap windows are cut.</param>
/// <param name="CountryWeights">Per-country weight overrides 0–100 (seed 003: "UAE → 60%, Saudi → 40%"); null or missing country = <see cref="Weight"/>.</param>
/// <param name="MinAmount">Lowest lead amount accepted (inclusive, lead currency units), or null for no lower bound.</param>
/// <param name="MaxAmount">Highest lead amount accepted (inclusive), or null for no upper bound.</param>
/// <param name="HourlyCap">Most leads per hour window (broker's time zone), 1 or more, or null for none.</param>
/// <param name="DailyCap">Most leads per day window (local midnight to midnight), 1 or more, or null for none.</param>
/// <param name="MonthlyCap">Most leads per calendar month window, 1 or more, or null for none.</param>
public sealed record BrokerState(
    long BrokerId, string Name, bool Active, int Priority, int Weight,
    IReadOnlyCollection<string> AcceptedCountries, string TimeZoneId = "UTC",
    IReadOnlyDictionary<string, int>? CountryWeights = null,
    decimal? MinAmount = null, decimal? MaxAmount = null,
    int? HourlyCap = null, int? DailyCap = null, int? MonthlyCap = null)
{
    /// <summary>Highest broker priority (DESIGN glossary: priority 0–10).</summary>
    public const int MaxPriority = 10;

    /// <summary>Highest traffic weight (DESIGN glossary: weight 0–100).</summary>
    public const int MaxWeight = 100;

    /// <summary>True when the broker takes leads for <paramref name="country"/> (empty list = every country).</summary>
    public bool Accepts(string? country) =>
        AcceptedCountries.Count == 0
        || (country is { Length: > 0 } && AcceptedCountries.Any(c => string.Equals(c.Trim(), country.Trim(), StringComparison.OrdinalIgnoreCase)));

    /// <summary>The weight that applies to leads from <paramref name="country"/>: the override if there is one, else <see cref="Weight"/>.</summary>
    public int WeightFor(string? country)
    {
        if (CountryWeights is null || country is not { Length: > 0 }) return Weight;
        var code = RoutingGroupKey.NormalizeCountry(country);
        foreach (var (key, weight) in CountryWeights)
            if (string.Equals(key.Trim(), code, StringComparison.OrdinalIgnoreCase)) return weight;
        return Weight;
    }

    /// <summary>
    /// True when <paramref name="amount"/> is within [MinAmount, MaxAmount]. A lead without an amount is accepted
    /// only by a broker with neither bound: an amount filter is a promise about the leads a broker gets, and an
    /// unknown amount cannot keep it (seed 003 passed 0 for a missing amount, which quietly sent such leads to
    /// every broker without a minimum).
    /// </summary>
    public bool AcceptsAmount(decimal? amount) =>
        amount is { } a
            ? (MinAmount is not { } min || a >= min) && (MaxAmount is not { } max || a <= max)
            : MinAmount is null && MaxAmount is null;

    /// <summary>Throws when a value is outside its documented range; the edge validates on save, this guards the decision.</summary>
    internal void Validate()
    {
        if (Priority is < 0 or > MaxPriority)
            throw new ArgumentException($"Broker {Name} has priority {Priority}; priorities are 0–{MaxPriority}.");
        if (Weight is < 0 or > MaxWeight)
            throw new ArgumentException($"Broker {Name} has weight {Weight}; weights are 0–{MaxWeight}.");
        if (CountryWeights is not null)
            foreach (var (country, weight) in CountryWeights)
                if (weight is < 0 or > MaxWeight)
                    throw new ArgumentException($"Broker {Name} has weight {weight} for {country}; weights are 0–{MaxWeight}.");
        if (MinAmount is { } min && MaxAmount is { } max && min > max)
            throw new ArgumentException($"Broker {Name} has amount minimum {min} above maximum {max}.");
        if (HourlyCap < 1 || DailyCap < 1 || MonthlyCap < 1)
            throw new ArgumentException($"Broker {Name} has a cap below 1; a cap is 1 or more, or none (to pause a broker, make it inactive).");
    }
}

/// <summary>
/// Leads already routed to one broker in the current cap windows, counted by the caller from the assignment log
/// over the instants <see cref="CapWindows"/> gives (DESIGN rule 3: nothing needs a reset job).
/// </summary>
/// <param name="Hour">Leads in [HourStart, NextHour).</param>
/// <param name="Day">Leads in [DayStart, NextDay).</param>
/// <param name="Month">Leads in [MonthStart, NextMonth).</param>
public readonly record struct CapCounts(int Hour, int Day, int Month)
{
    /// <summary>No leads in any window.</summary>
    public static CapCounts Zero => default;

    /// <summary>The counts after one more lead.</summary>
    public CapCounts PlusOne() => new(Hour + 1, Day + 1, Month + 1);
}

/// <summary>What routing needs to know about a lead.</summary>
/// <param name="LeadId">Lead id.</param>
/// <param name="Country">ISO 3166-1 alpha-2 (case-insensitive), or null/empty when unknown: then only brokers that accept every country can take it.</param>
/// <param name="Amount">The lead's amount (seed 003's deposit amount), or null when unknown; see <see cref="BrokerState.AcceptsAmount"/>.</param>
public sealed record LeadFacts(long LeadId, string? Country, decimal? Amount);
