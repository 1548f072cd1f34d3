using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Domain.Brokers;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// A broker's routing rules between the stored row and the Domain: conversion to <see cref="BrokerState"/>, and the
/// checks every save runs (the same for API and CLI), each naming the API field it is about.
/// </summary>
static class BrokerRules
{
    /// <summary>ISO 3166-1 alpha-2 codes in use (249, as in the tz database's iso3166.tab).</summary>
    static readonly HashSet<string> IsoCountries = new(
        "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW".Split(' '), StringComparer.Ordinal);

    /// <summary>True for an assigned ISO 3166-1 alpha-2 code (upper case).</summary>
    public static bool IsCountry(string code) => IsoCountries.Contains(code);

    /// <summary>The broker as the routing decision sees it.</summary>
    public static BrokerState ToState(Broker b) => new(
        b.Id, b.Name, b.Active, b.Priority, b.Weight, CountriesOf(b), b.TimeZone, CountryWeightsOf(b),
        b.MinAmount, b.MaxAmount, b.HourlyCap, b.DailyCap, b.MonthlyCap);

    /// <summary>Accepted countries (empty = all).</summary>
    public static IReadOnlyList<string> CountriesOf(Broker b) =>
        b.Countries.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Per-country weights (empty when none).</summary>
    public static IReadOnlyDictionary<string, int> CountryWeightsOf(Broker b) =>
        string.IsNullOrEmpty(b.CountryWeights)
            ? new Dictionary<string, int>()
            : JsonSerializer.Deserialize<Dictionary<string, int>>(b.CountryWeights) ?? [];

    /// <summary>Normalizes countries to a stored list: trimmed, upper case, distinct, sorted.</summary>
    public static string JoinCountries(IEnumerable<string> countries) =>
        string.Join(',', countries.Select(c => c.Trim().ToUpperInvariant()).Where(c => c.Length > 0).Distinct().Order(StringComparer.Ordinal));

    /// <summary>Stores per-country weights with upper-case keys, or null when empty.</summary>
    public static string? JoinCountryWeights(IReadOnlyDictionary<string, int>? weights) =>
        weights is null || weights.Count == 0
            ? null
            : JsonSerializer.Serialize(weights.ToDictionary(kv => kv.Key.Trim().ToUpperInvariant(), kv => kv.Value)
                .OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary());

    /// <summary>
    /// Checks a broker about to be saved: name 1–200 characters, priority 0–10, weight 0–100, countries and
    /// per-country weight keys ISO alpha-2, per-country weights 0–100, amounts ≥ 0 with min ≤ max, currency three
    /// letters, caps ≥ 1, time zone a known IANA id.
    /// </summary>
    /// <exception cref="InputException">Every problem, keyed by API field name (<c>priority</c>, <c>hourCap</c>, …).</exception>
    public static void Validate(Broker b)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        if (string.IsNullOrWhiteSpace(b.Name) || b.Name.Length > 200) Add("name", "A name of 1–200 characters is required.");
        if (b.Priority is < 0 or > BrokerState.MaxPriority) Add("priority", $"Priority must be 0–{BrokerState.MaxPriority} (higher = first choice), not {b.Priority}.");
        if (b.Weight is < 0 or > BrokerState.MaxWeight) Add("weight", $"Weight must be 0–{BrokerState.MaxWeight}, not {b.Weight}.");
        foreach (var c in CountriesOf(b).Where(c => !IsCountry(c)))
            Add("countries", $"'{c}' is not an ISO 3166-1 alpha-2 country code.");
        IReadOnlyDictionary<string, int> weights;
        try { weights = CountryWeightsOf(b); }
        catch (JsonException) { weights = new Dictionary<string, int>(); Add("countryWeights", "Not an object of country → weight."); }
        foreach (var (c, w) in weights)
        {
            if (!IsCountry(c)) Add("countryWeights", $"'{c}' is not an ISO 3166-1 alpha-2 country code.");
            if (w is < 0 or > BrokerState.MaxWeight) Add("countryWeights", $"Weight for {c} must be 0–{BrokerState.MaxWeight}, not {w}.");
        }

        if (b.MinAmount < 0) Add("minAmount", "The minimum amount cannot be negative.");
        if (b.MaxAmount < 0) Add("maxAmount", "The maximum amount cannot be negative.");
        if (b.MinAmount is { } min && b.MaxAmount is { } max && min > max) Add("minAmount", $"The minimum amount {min} is above the maximum {max}.");
        if (b.Currency is { } cur && (cur.Length != 3 || !cur.All(char.IsAsciiLetterUpper))) Add("currency", "A currency is three letters (ISO 4217), e.g. USD.");
        if (b.HourlyCap < 1) Add("hourCap", "A cap is 1 or more, or none.");
        if (b.DailyCap < 1) Add("dayCap", "A cap is 1 or more, or none.");
        if (b.MonthlyCap < 1) Add("monthCap", "A cap is 1 or more, or none.");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(b.TimeZone, out var zone) || !zone.HasIanaId)
            Add("timeZone", $"'{b.TimeZone}' is not an IANA time zone (e.g. Asia/Dubai, UTC).");
        if (errors.Count > 0) throw new InputException(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }
}
