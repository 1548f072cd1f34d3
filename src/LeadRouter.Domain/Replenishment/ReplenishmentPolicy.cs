namespace LeadRouter.Domain.Replenishment;

/// <summary>
/// The days and hours in which replenishment may release leads, in the policy's time zone
/// (seed 001's "Business Hours Respect"). The window is [<see cref="Start"/>, <see cref="End"/>) on each of
/// <see cref="Days"/>; windows that cross midnight are not supported.
/// </summary>
/// <param name="Days">Week days on which releases are allowed.</param>
/// <param name="Start">Local time of day the window opens (inclusive).</param>
/// <param name="End">Local time of day the window closes (exclusive); after <see cref="Start"/>.</param>
public sealed record BusinessHours(IReadOnlySet<DayOfWeek> Days, TimeOnly Start, TimeOnly End)
{
    /// <summary>Monday to Friday, 09:00–18:00.</summary>
    public static BusinessHours Default { get; } = new(
        new HashSet<DayOfWeek> { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday },
        new TimeOnly(9, 0), new TimeOnly(18, 0));

    /// <summary>True when the local date-time falls on one of <see cref="Days"/> within [Start, End).</summary>
    public bool Contains(DateTime local)
    {
        var time = TimeOnly.FromDateTime(local);
        return Days.Contains(local.DayOfWeek) && time >= Start && time < End;
    }
}

/// <summary>One problem in a replenishment policy, naming the JSON field (e.g. <c>upload_controls.max_upload_per_run</c>).</summary>
/// <param name="Field">The field's JSON path, dot-separated, as written in the configuration file.</param>
/// <param name="Message">What is wrong, with the value that was given.</param>
public sealed record PolicyFieldError(string Field, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>The outcome of <see cref="ReplenishmentPolicy.Parse"/>: a valid policy, or every field error found.</summary>
public abstract record PolicyParseResult
{
    PolicyParseResult()
    {
    }

    /// <summary>The configuration was valid.</summary>
    public sealed record Valid(ReplenishmentPolicy Policy) : PolicyParseResult;

    /// <summary>The configuration was rejected; nothing of it should be applied.</summary>
    public sealed record Invalid(IReadOnlyList<PolicyFieldError> Errors) : PolicyParseResult;
}

/// <summary>
/// When and how much reserve inventory replenishment releases into the working pool (seed 001's
/// <c>automation_config.json</c>). Counts are leads; times are in <see cref="TimeZone"/> unless named UTC.
/// Build one with <see cref="Parse"/> (the seed's JSON, <c>//</c> comments allowed) or with <c>with</c> on
/// <see cref="Default"/>, then check it with <see cref="Validate"/>.
/// </summary>
public sealed record ReplenishmentPolicy
{
    /// <summary>Seed 001's defaults: min 50, target 150, A+ 10 / A 30 / B 20, 100 per run, 500 a day, 1 h cooldown, mix 20/50/30, UTC.</summary>
    public static ReplenishmentPolicy Default { get; } = new();

    /// <summary>Replenish when the working pool holds fewer leads than this (<c>lead_inventory_thresholds.min_total_leads</c>).</summary>
    public int MinTotalLeads { get; init; } = 50;

    /// <summary>A run fills the working pool up to this many leads (<c>lead_inventory_thresholds.target_total_leads</c>).</summary>
    public int TargetTotalLeads { get; init; } = 150;

    /// <summary>
    /// Per grade, replenish when the working pool holds fewer leads of that grade than this
    /// (<c>lead_inventory_thresholds.min_priority_leads</c>; keys are normalized grades).
    /// </summary>
    public IReadOnlyDictionary<string, int> MinGradeLeads { get; init; } =
        new Dictionary<string, int> { ["A+"] = 10, ["A"] = 30, ["B"] = 20 };

    /// <summary>Leads released by one run at most (<c>upload_controls.max_upload_per_run</c>).</summary>
    public int MaxUploadPerRun { get; init; } = 100;

    /// <summary>Leads released per local day (in <see cref="TimeZone"/>) at most (<c>upload_controls.max_daily_uploads</c>).</summary>
    public int MaxDailyUploads { get; init; } = 500;

    /// <summary>Minimum time between two releases (<c>upload_controls.min_time_between_uploads_hours</c>, in hours in JSON).</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Default mix of a release, percent per grade summing to 100 (<c>priority_mix</c>; seed 001: 20 % A+, 50 % A, 30 % B).
    /// 30-day conversion adjusts it; see <see cref="ReplenishmentPlanner.AdjustedMix"/>.
    /// </summary>
    public IReadOnlyDictionary<string, double> Mix { get; init; } =
        new Dictionary<string, double> { ["A+"] = 20, ["A"] = 50, ["B"] = 30 };

    /// <summary>The time zone of the daily cap's day, business hours and holidays (<c>time_zone</c>; default UTC).</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>When set, nothing is released outside these hours (<c>business_hours</c>); null: any time.</summary>
    public BusinessHours? BusinessHours { get; init; }

    /// <summary>Local dates on which nothing is released (<c>holidays</c>, <c>yyyy-MM-dd</c>).</summary>
    public IReadOnlySet<DateOnly> Holidays { get; init; } = new HashSet<DateOnly>();

    /// <summary>
    /// Agent overload protection (<c>agent_overload_protection.max_available_leads_per_agent</c>): no release while the
    /// working pool holds more than this many available leads per active agent, and a release never takes it past that.
    /// Null: off.
    /// </summary>
    public int? MaxAvailableLeadsPerAgent { get; init; }

    /// <summary>
    /// The UTC instant at which the local day (in <see cref="TimeZone"/>) containing <paramref name="now"/> began:
    /// count "released today" from here. Where local midnight does not exist (a DST jump at midnight) the day begins
    /// at the first local instant after it; where it exists twice, at the first.
    /// </summary>
    public DateTimeOffset DayStart(DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, TimeZone);
        var midnight = local.Date;
        var offset = TimeZone.IsAmbiguousTime(midnight)
            ? TimeZone.GetAmbiguousTimeOffsets(midnight).Max()
            : TimeZone.GetUtcOffset(midnight); // for a skipped midnight: the offset before the jump, i.e. the first instant after it
        return new DateTimeOffset(midnight.Ticks - offset.Ticks, TimeSpan.Zero);
    }

    /// <summary>Every rule this policy breaks, naming the JSON field; empty when valid.</summary>
    public IReadOnlyList<PolicyFieldError> Validate()
    {
        var errors = new List<PolicyFieldError>();
        const string thresholds = "lead_inventory_thresholds";
        const string controls = "upload_controls";
        NonNegative(errors, $"{thresholds}.min_total_leads", MinTotalLeads);
        NonNegative(errors, $"{thresholds}.target_total_leads", TargetTotalLeads);
        if (TargetTotalLeads < MinTotalLeads)
            errors.Add(new($"{thresholds}.target_total_leads",
                $"is {TargetTotalLeads}, below min_total_leads ({MinTotalLeads}); the target must be at least the minimum."));
        foreach (var (grade, min) in MinGradeLeads)
        {
            if (string.IsNullOrWhiteSpace(grade)) errors.Add(new($"{thresholds}.min_priority_leads", "has an empty grade name."));
            else NonNegative(errors, $"{thresholds}.min_priority_leads.{grade}", min);
        }

        if (MaxUploadPerRun < 1)
            errors.Add(new($"{controls}.max_upload_per_run", $"is {MaxUploadPerRun}; a run must be allowed at least 1 lead."));
        NonNegative(errors, $"{controls}.max_daily_uploads", MaxDailyUploads);
        if (Cooldown < TimeSpan.Zero)
            errors.Add(new($"{controls}.min_time_between_uploads_hours", $"is {Cooldown.TotalHours}; it cannot be negative."));

        if (Mix.Count == 0) errors.Add(new("priority_mix", "is empty; give a percentage for at least one grade."));
        foreach (var (grade, percent) in Mix)
        {
            if (string.IsNullOrWhiteSpace(grade)) errors.Add(new("priority_mix", "has an empty grade name."));
            else if (!double.IsFinite(percent) || percent < 0)
                errors.Add(new($"priority_mix.{grade}", $"is {percent}; a percentage must be 0 or more."));
        }

        var sum = Mix.Values.Where(double.IsFinite).Sum();
        if (Mix.Count > 0 && Math.Abs(sum - 100) > 1e-6)
            errors.Add(new("priority_mix", $"sums to {sum:0.###} %; the grades' percentages must sum to 100."));

        if (BusinessHours is { } hours)
        {
            if (hours.Days.Count == 0) errors.Add(new("business_hours.days", "is empty; name at least one day, e.g. \"Mon\"."));
            if (hours.End <= hours.Start)
                errors.Add(new("business_hours.end",
                    $"is {hours.End:HH\\:mm}, not after start ({hours.Start:HH\\:mm}); windows crossing midnight are not supported."));
        }

        if (MaxAvailableLeadsPerAgent is < 1)
            errors.Add(new("agent_overload_protection.max_available_leads_per_agent",
                $"is {MaxAvailableLeadsPerAgent}; it must be 1 or more (or leave protection off)."));
        return errors;
    }

    /// <summary>
    /// Reads a policy from seed 001's <c>automation_config.json</c> shape, as-is: <c>//</c> and <c>/* */</c> comments
    /// and trailing commas are allowed, unknown keys are ignored, and missing keys keep <see cref="Default"/>'s values.
    /// <c>min_priority_leads</c> merges per grade with the defaults; <c>priority_mix</c>, when given, replaces the
    /// default mix as a whole. Returns the policy, or every type and rule error found (see <see cref="Validate"/>).
    /// </summary>
    /// <example>
    /// <code>
    /// {
    ///   "lead_inventory_thresholds": { "min_total_leads": 50, "target_total_leads": 150,
    ///                                  "min_priority_leads": { "A+": 10, "A": 30, "B": 20 } },
    ///   "upload_controls": { "max_upload_per_run": 100, "max_daily_uploads": 500, "min_time_between_uploads_hours": 1 },
    ///   "priority_mix": { "A+": 20, "A": 50, "B": 30 },       // percent, sums to 100
    ///   "time_zone": "Asia/Kolkata",                           // IANA or Windows id; default UTC
    ///   "business_hours": { "days": ["Mon", "Tue", "Wed", "Thu", "Fri"], "start": "09:00", "end": "18:00" },
    ///   "holidays": ["2025-12-25"],
    ///   "agent_overload_protection": { "max_available_leads_per_agent": 25 }
    /// }
    /// </code>
    /// </example>
    public static PolicyParseResult Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ReplenishmentPolicyJson.Parse(json);
    }

    static void NonNegative(List<PolicyFieldError> errors, string field, int value)
    {
        if (value < 0) errors.Add(new(field, $"is {value}; it cannot be negative."));
    }
}
