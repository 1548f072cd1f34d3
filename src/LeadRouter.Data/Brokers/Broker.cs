namespace LeadRouter.Data.Brokers;

/// <summary>
/// An external buyer of leads (DESIGN glossary, seed 003's broker row). Routing rules: <see cref="Priority"/> 0–10
/// (higher wins), <see cref="Weight"/> 0–100 (relative traffic share), accepted countries, per-country weights,
/// amount range and caps per hour / day / month counted in <see cref="TimeZone"/> from the assignment log.
/// A deleted broker keeps its row (the assignment log refers to it) with <see cref="DeletedAt"/> set; its name is free again.
/// </summary>
public sealed class Broker
{
    public long Id { get; set; }
    /// <summary>Display name, unique among brokers that are not deleted.</summary>
    public required string Name { get; set; }
    /// <summary>False: takes no leads.</summary>
    public bool Active { get; set; } = true;
    /// <summary>0–10; higher number = higher priority.</summary>
    public int Priority { get; set; }
    /// <summary>0–100, a relative share within the priority level; 0 takes no traffic.</summary>
    public int Weight { get; set; }
    /// <summary>Accepted ISO 3166-1 alpha-2 codes, upper case, comma-separated (e.g. <c>AE,SA</c>); empty = every country.</summary>
    public string Countries { get; set; } = "";
    /// <summary>Per-country weight overrides as a JSON object, e.g. <c>{"AE":60}</c>; null = none.</summary>
    public string? CountryWeights { get; set; }
    /// <summary>Lowest accepted lead amount (inclusive), or null.</summary>
    public decimal? MinAmount { get; set; }
    /// <summary>Highest accepted lead amount (inclusive), or null.</summary>
    public decimal? MaxAmount { get; set; }
    /// <summary>ISO 4217 currency of the amount range, e.g. USD; null = unspecified.</summary>
    public string? Currency { get; set; }
    /// <summary>Most leads per local clock hour, or null for none.</summary>
    public int? HourlyCap { get; set; }
    /// <summary>Most leads per local day, or null for none.</summary>
    public int? DailyCap { get; set; }
    /// <summary>Most leads per local calendar month, or null for none.</summary>
    public int? MonthlyCap { get; set; }
    /// <summary>IANA time zone in which the cap windows are cut, e.g. <c>Asia/Dubai</c>.</summary>
    public string TimeZone { get; set; } = "UTC";
    /// <summary>Push each routed lead to the delivery endpoint.</summary>
    public bool AutoPush { get; set; }
    /// <summary>Delivery endpoint: absolute http(s) URL, or null (leads are then assigned, not pushed).</summary>
    public string? EndpointUrl { get; set; }
    /// <summary>POST or PUT.</summary>
    public string EndpointMethod { get; set; } = "POST";
    /// <summary>Extra request headers as a JSON object of strings, or null.</summary>
    public string? EndpointHeaders { get; set; }
    /// <summary>The endpoint's API key, encrypted with Data Protection; never returned.</summary>
    public string? ApiKeyProtected { get; set; }
    /// <summary>The Standard Webhooks signing secret, encrypted with Data Protection; never returned.</summary>
    public string? SigningSecretProtected { get; set; }
    /// <summary>SHA-256 (hex) of the broker's postback token, or null when none was issued; the token is shown once.</summary>
    public string? PostbackTokenHash { get; set; }
    /// <summary>The request header that carries the API key (default <c>X-API-Key</c>).</summary>
    public string? ApiKeyHeader { get; set; }
    /// <summary>
    /// The push body's field mapping as a JSON object, lead field → the receiver's name, in body order (e.g.
    /// <c>{"email":"contact_email","attributes.campaign":"campaign_id"}</c>); null = the whole lead is sent.
    /// </summary>
    public string? FieldMap { get; set; }
    /// <summary>Failed push attempts in a row (any delivery); a success resets it. Reaching the limit pauses the broker.</summary>
    public int ConsecutiveFailures { get; set; }
    /// <summary>When a routed lead's delivery dies, give the lead to the next eligible broker (this one excluded).</summary>
    public bool FailoverOnDead { get; set; }
    /// <summary>When the broker was paused after too many failed pushes (it is then inactive), or null.</summary>
    public DateTimeOffset? PausedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
    /// <summary>When the broker was deleted (it then takes no leads and is not listed), or null.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
}

/// <summary>Where a source's leads go on intake.</summary>
public enum RouteTarget
{
    /// <summary>To the source's agent pool (the default when a source has no routing row).</summary>
    Agents,
    /// <summary>To brokers, by the broker routing rules.</summary>
    Brokers,
}

/// <summary>A source's routing setting (one row per source that was set; no row = <see cref="RouteTarget.Agents"/>).</summary>
public sealed class SourceRouting
{
    public long SourceId { get; set; }
    public RouteTarget RouteTo { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>What set off a routing run.</summary>
public enum RoutingTrigger { Import, Manual, Api, Background, Failover }

/// <summary>
/// The audit row of one lead routed to one broker (seed 003: "every decision is recorded"): priority level, rotation
/// group, the decision as JSON (<c>{"candidates":[{"brokerId","weight"}],"exclusions":[{"brokerId","reason","reopensAt"}]}</c>)
/// and the UTC time. Unique per lead (DESIGN rule 1). Caps are counted from these rows by <see cref="RoutedAt"/>.
/// </summary>
public sealed class BrokerAssignment
{
    public long Id { get; set; }
    public long LeadId { get; set; }
    public long BrokerId { get; set; }
    public long? SourceId { get; set; }
    public int Priority { get; set; }
    /// <summary>The rotation group's country (upper-case alpha-2, or empty for leads without a country).</summary>
    public string Country { get; set; } = "";
    public RoutingTrigger Trigger { get; set; }
    public required string Decision { get; set; }
    public DateTimeOffset RoutedAt { get; set; }
}

/// <summary>One broker's current weight in one rotation group (priority, country): the smooth weighted round-robin state.</summary>
public sealed class BrokerRotation
{
    public int Priority { get; set; }
    public string Country { get; set; } = "";
    public long BrokerId { get; set; }
    public long Current { get; set; }
}

/// <summary>
/// The single row every routing transaction updates first, so routing runs on any node serialize (a row lock on
/// PostgreSQL, the write lock on SQLite).
/// </summary>
public sealed class BrokerRoutingLock
{
    public int Id { get; set; }
    public long Version { get; set; }
}
