using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// A broker as the API, CLI and dashboard show it. Secrets are never returned: <see cref="HasApiKey"/> only says one is stored.
/// Caps are leads per window in <see cref="TimeZone"/>, null = none; amounts are inclusive, null = no bound.
/// </summary>
public sealed record BrokerDto(
    long Id, string Name, bool Active, int Priority, int Weight, IReadOnlyList<string> Countries,
    IReadOnlyDictionary<string, int> CountryWeights, decimal? MinAmount, decimal? MaxAmount, string? Currency,
    int? HourCap, int? DayCap, int? MonthCap, string TimeZone, bool AutoPush, string? Endpoint, bool HasApiKey,
    DateTimeOffset CreatedAt, DateTimeOffset? UpdatedAt)
{
    /// <summary>The one mapping from the stored row.</summary>
    public static BrokerDto From(Broker b) => new(
        b.Id, b.Name, b.Active, b.Priority, b.Weight, BrokerRules.CountriesOf(b), BrokerRules.CountryWeightsOf(b),
        b.MinAmount, b.MaxAmount, b.Currency, b.HourlyCap, b.DailyCap, b.MonthlyCap, b.TimeZone, b.AutoPush,
        b.EndpointUrl, b.ApiKeyProtected is not null, b.CreatedAt, b.UpdatedAt);
}

/// <summary>
/// A new broker (<c>POST /api/crm/brokers</c>, <c>leadrouter brokers add</c>). Priority 0–10 (higher first), weight 0–100,
/// countries ISO alpha-2 (empty = all), per-country weights 0–100, amounts inclusive with min ≤ max, caps ≥ 1 or null,
/// time zone IANA (cap windows are cut in it). Checked by <see cref="BrokerRules.Validate"/>.
/// </summary>
public sealed record NewBroker(
    string Name, int Priority, int Weight, IReadOnlyList<string>? Countries = null,
    IReadOnlyDictionary<string, int>? CountryWeights = null, decimal? MinAmount = null, decimal? MaxAmount = null,
    string? Currency = null, int? HourCap = null, int? DayCap = null, int? MonthCap = null, string TimeZone = "UTC",
    bool AutoPush = false, bool Active = true);

/// <summary>
/// Changes to a broker (<c>PATCH /api/crm/brokers/{id}</c>, <c>leadrouter brokers set</c>): a null value leaves the
/// field as it is; a field named in <see cref="Cleared"/> (API field names: <c>hourCap</c>, <c>dayCap</c>,
/// <c>monthCap</c>, <c>minAmount</c>, <c>maxAmount</c>, <c>currency</c>, <c>countryWeights</c>, <c>countries</c>) is emptied.
/// </summary>
public sealed record BrokerChanges(
    string? Name = null, bool? Active = null, int? Priority = null, int? Weight = null, IReadOnlyList<string>? Countries = null,
    IReadOnlyDictionary<string, int>? CountryWeights = null, decimal? MinAmount = null, decimal? MaxAmount = null,
    string? Currency = null, int? HourCap = null, int? DayCap = null, int? MonthCap = null, string? TimeZone = null,
    bool? AutoPush = null, IReadOnlySet<string>? Cleared = null)
{
    /// <summary>The fields that can be emptied.</summary>
    public static readonly IReadOnlySet<string> Clearable = new HashSet<string>(
        ["hourCap", "dayCap", "monthCap", "minAmount", "maxAmount", "currency", "countryWeights", "countries"], StringComparer.Ordinal);
}

/// <summary>Brokers: add, list, get, change, delete. Names are unique among brokers that are not deleted.</summary>
public sealed class BrokerDirectory(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    /// <summary>Adds a broker.</summary>
    /// <exception cref="InputException">A value out of range (keyed by field), or the name is taken.</exception>
    public async Task<BrokerDto> AddAsync(NewBroker request, CancellationToken ct)
    {
        var broker = new Broker
        {
            Name = request.Name?.Trim() ?? "",
            Active = request.Active,
            Priority = request.Priority,
            Weight = request.Weight,
            Countries = BrokerRules.JoinCountries(request.Countries ?? []),
            CountryWeights = BrokerRules.JoinCountryWeights(request.CountryWeights),
            MinAmount = request.MinAmount,
            MaxAmount = request.MaxAmount,
            Currency = request.Currency?.Trim().ToUpperInvariant(),
            HourlyCap = request.HourCap,
            DailyCap = request.DayCap,
            MonthlyCap = request.MonthCap,
            TimeZone = string.IsNullOrWhiteSpace(request.TimeZone) ? "UTC" : request.TimeZone.Trim(),
            AutoPush = request.AutoPush,
            CreatedAt = clock.GetUtcNow(),
        };
        BrokerRules.Validate(broker);
        await using var db = await dbs.CreateDbContextAsync(ct);
        await EnsureNameFreeAsync(db, broker.Name, null, ct);
        db.Brokers.Add(broker);
        await db.SaveChangesAsync(ct);
        return BrokerDto.From(broker);
    }

    /// <summary>Brokers that are not deleted, highest priority first, then by name.</summary>
    public async Task<IReadOnlyList<BrokerDto>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await db.Brokers.AsNoTracking().Where(b => b.DeletedAt == null).ToListAsync(ct);
        return rows.OrderByDescending(b => b.Priority).ThenBy(b => b.Name, StringComparer.Ordinal).Select(BrokerDto.From).ToList();
    }

    /// <summary>One broker by id, or null (also when deleted).</summary>
    public async Task<BrokerDto?> GetAsync(long id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Brokers.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id && b.DeletedAt == null, ct) is { } b ? BrokerDto.From(b) : null;
    }

    /// <summary>Finds a broker that is not deleted by id (digits) or exact name.</summary>
    /// <exception cref="InputException">No such broker (field <c>broker</c>).</exception>
    public static async Task<Broker> FindAsync(LeadRouterDb db, string idOrName, CancellationToken ct)
    {
        var key = idOrName.Trim();
        var live = db.Brokers.Where(b => b.DeletedAt == null);
        var broker = long.TryParse(key, out var id)
            ? await live.OrderBy(b => b.Name == key ? 0 : 1).FirstOrDefaultAsync(b => b.Id == id || b.Name == key, ct)
            : await live.SingleOrDefaultAsync(b => b.Name == key, ct);
        return broker ?? throw new InputException("broker", $"No broker '{key}'.");
    }

    /// <summary>Changes a broker found by id or name; null when there is none.</summary>
    /// <exception cref="InputException">A value out of range (keyed by field), a field that cannot be cleared, or the new name is taken.</exception>
    public async Task<BrokerDto?> SetAsync(string idOrName, BrokerChanges changes, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        Broker broker;
        try { broker = await FindAsync(db, idOrName, ct); }
        catch (InputException) { return null; }
        Apply(broker, changes);
        BrokerRules.Validate(broker);
        await EnsureNameFreeAsync(db, broker.Name, broker.Id, ct);
        broker.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return BrokerDto.From(broker);
    }

    /// <summary>
    /// Deletes a broker: it takes no more leads and is no longer listed; its row stays for the assignment log and
    /// the leads it received. False when there is no such broker.
    /// </summary>
    public async Task<bool> DeleteAsync(string idOrName, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        Broker broker;
        try { broker = await FindAsync(db, idOrName, ct); }
        catch (InputException) { return false; }
        broker.DeletedAt = clock.GetUtcNow();
        broker.Active = false;
        await db.SaveChangesAsync(ct);
        return true;
    }

    static void Apply(Broker b, BrokerChanges c)
    {
        foreach (var field in c.Cleared ?? new HashSet<string>())
        {
            switch (field)
            {
                case "hourCap": b.HourlyCap = null; break;
                case "dayCap": b.DailyCap = null; break;
                case "monthCap": b.MonthlyCap = null; break;
                case "minAmount": b.MinAmount = null; break;
                case "maxAmount": b.MaxAmount = null; break;
                case "currency": b.Currency = null; break;
                case "countryWeights": b.CountryWeights = null; break;
                case "countries": b.Countries = ""; break;
                default: throw new InputException(field, "This field cannot be emptied.");
            }
        }

        if (c.Name is { } name) b.Name = name.Trim();
        if (c.Active is { } active) b.Active = active;
        if (c.Priority is { } priority) b.Priority = priority;
        if (c.Weight is { } weight) b.Weight = weight;
        if (c.Countries is { } countries) b.Countries = BrokerRules.JoinCountries(countries);
        if (c.CountryWeights is { } cw) b.CountryWeights = BrokerRules.JoinCountryWeights(cw);
        if (c.MinAmount is { } min) b.MinAmount = min;
        if (c.MaxAmount is { } max) b.MaxAmount = max;
        if (c.Currency is { } cur) b.Currency = cur.Trim().ToUpperInvariant();
        if (c.HourCap is { } h) b.HourlyCap = h;
        if (c.DayCap is { } d) b.DailyCap = d;
        if (c.MonthCap is { } m) b.MonthlyCap = m;
        if (c.TimeZone is { } tz) b.TimeZone = tz.Trim();
        if (c.AutoPush is { } push) b.AutoPush = push;
    }

    static async Task EnsureNameFreeAsync(LeadRouterDb db, string name, long? self, CancellationToken ct)
    {
        if (await db.Brokers.AnyAsync(b => b.DeletedAt == null && b.Name == name && b.Id != self, ct))
            throw new InputException("name", $"A broker named '{name}' already exists.");
    }
}
