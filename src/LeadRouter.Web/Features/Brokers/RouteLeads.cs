using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Domain.Brokers;
using LeadRouter.Web.Features.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>One lead's routing outcome: the broker it went to, or why it stays unrouted.</summary>
/// <param name="LeadId">The lead.</param>
/// <param name="BrokerId">The broker that got it, or null.</param>
/// <param name="Broker">That broker's name, or null.</param>
/// <param name="Reason">Null when routed; else e.g. "all brokers for AE at daily cap".</param>
/// <param name="RetryAt">For a lead held by caps: when the first capped broker reopens (UTC); else null.</param>
public sealed record LeadRouteOutcome(long LeadId, long? BrokerId, string? Broker, string? Reason, DateTimeOffset? RetryAt);

/// <summary>
/// The result of one routing run: how many leads were routed and left unrouted, routed leads per broker name, unrouted
/// leads per reason, and (not serialized, it can hold 10,000 rows) every lead's outcome in routing order.
/// </summary>
public sealed record RoutingRun(int Routed, int Unrouted, IReadOnlyDictionary<string, int> ByBroker,
    IReadOnlyDictionary<string, int> UnroutedReasons, [property: JsonIgnore] IReadOnlyList<LeadRouteOutcome> Outcomes)
{
    /// <summary>A run that looked at no lead.</summary>
    public static RoutingRun Empty { get; } = new(0, 0, new Dictionary<string, int>(), new Dictionary<string, int>(), []);
}

/// <summary>A lead to route: its id, country (ISO alpha-2 or null), amount and source.</summary>
public sealed record RoutableLead(long Id, string? Country, decimal? Amount, long? SourceId);

/// <summary>
/// Routes waiting leads to brokers (DESIGN rules 1 and 3): the single code path behind import, the <c>route</c> command
/// and <c>POST /api/crm/assign-lead</c>. In ONE transaction it takes the routing lock (a conditional update of the
/// one <see cref="BrokerRoutingLock"/> row, so runs on every node serialize), loads the brokers, counts each capped
/// broker's leads in its current hour / day / month windows from the assignment log (<see cref="CapWindows.At(string, DateTimeOffset)"/>
/// in the broker's time zone), loads the rotation states, decides with <see cref="BrokerRouting.RouteBatch"/> and
/// applies: a conditional lead update (<c>BrokerId IS NULL AND AgentId IS NULL</c>), one log row per routed lead
/// (unique per lead), the new rotation states, and one delivery (outbox) row per lead of a broker with auto-push and an
/// endpoint, committed with the assignment. Waiting leads are those of the selection with no owner and status
/// <see cref="LeadStatus.New"/>, oldest (lowest id) first; unrouted leads keep the reason and are retried by the next run.
/// </summary>
public sealed class RouteLeads(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock, ILogger<RouteLeads> log)
{
    static readonly JsonSerializerOptions DecisionJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The ids among <paramref name="sourceIds"/> of the sources set to route to brokers.</summary>
    public async Task<IReadOnlyList<long>> BrokerSourcesAsync(IReadOnlyCollection<long> sourceIds, CancellationToken ct)
    {
        if (sourceIds.Count == 0) return [];
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.SourceRoutings.Where(r => sourceIds.Contains(r.SourceId) && r.RouteTo == RouteTarget.Brokers)
            .OrderBy(r => r.SourceId).Select(r => r.SourceId).ToListAsync(ct);
    }

    /// <summary>Routes the waiting leads of the given sources (every broker-routed source when null), oldest first.</summary>
    public Task<RoutingRun> RouteSourcesAsync(IReadOnlyCollection<long>? sourceIds, RoutingTrigger trigger, CancellationToken ct) =>
        sourceIds is null
            ? WithRetriesAsync(db => Waiting(db).Where(l =>
                db.SourceRoutings.Any(r => r.SourceId == l.SourceId && r.RouteTo == RouteTarget.Brokers)), trigger, ct)
            : WithRetriesAsync(db => Waiting(db).Where(l => l.SourceId != null && sourceIds.Contains(l.SourceId.Value)), trigger, ct);

    /// <summary>
    /// Routes the given leads that are still waiting (others are left alone), oldest first. Brokers in
    /// <paramref name="excluded"/> sit out this run as if inactive (their rotation state is kept): failover uses it.
    /// </summary>
    public Task<RoutingRun> RouteLeadIdsAsync(IReadOnlyCollection<long> leadIds, RoutingTrigger trigger, CancellationToken ct,
        IReadOnlySet<long>? excluded = null) =>
        // By id only in SQL (the waiting condition is checked on the rows read): SQLite would otherwise walk the status
        // index over every waiting lead of the database.
        WithRetriesAsync(db => db.Leads.Where(l => leadIds.Contains(l.Id)), trigger, ct, excluded);

    static IQueryable<Lead> Waiting(LeadRouterDb db) =>
        db.Leads.Where(l => l.BrokerId == null && l.AgentId == null && l.Status == LeadStatus.New);

    async Task<RoutingRun> WithRetriesAsync(Func<LeadRouterDb, IQueryable<Lead>> select, RoutingTrigger trigger, CancellationToken ct,
        IReadOnlySet<long>? excluded = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryRouteAsync(select, trigger, excluded, ct);
            }
            catch (Exception e) when (attempt < 5 && e is DbUpdateException or ConcurrentRoutingException)
            {
                log.LogWarning(e, "Routing run collided with another owner of a lead; retrying ({Attempt})", attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), ct);
            }
        }
    }

    async Task<RoutingRun> TryRouteAsync(Func<LeadRouterDb, IQueryable<Lead>> select, RoutingTrigger trigger, IReadOnlySet<long>? excluded, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockAsync(db, ct);

        var leads = (await select(db).OrderBy(l => l.Id)
                .Select(l => new { Lead = new RoutableLead(l.Id, l.Country, l.Amount, l.SourceId), l.BrokerId, l.AgentId, l.Status }).ToListAsync(ct))
            .Where(l => l.BrokerId == null && l.AgentId == null && l.Status == LeadStatus.New).Select(l => l.Lead).ToList();
        if (leads.Count == 0) return RoutingRun.Empty;

        var run = await WriteAsync(db, await DecideAsync(db, leads, excluded, locked: true, ct), trigger, null, [], ct);
        await tx.CommitAsync(ct);
        if (run.Routed > 0) log.LogInformation("Routed {Routed} leads to brokers, {Unrouted} unrouted ({Trigger})", run.Routed, run.Unrouted, trigger);
        return run;
    }

    // Compiled once: every routing transaction reads all brokers and rotation states.
    static readonly PerModel<Func<LeadRouterDb, IAsyncEnumerable<Broker>>> LiveBrokers = new(() =>
        EF.CompileAsyncQuery<LeadRouterDb, Broker>(db => db.Brokers.AsNoTracking().Where(b => b.DeletedAt == null).OrderBy(b => b.Id)));
    static readonly PerModel<Func<LeadRouterDb, IAsyncEnumerable<BrokerRotation>>> Rotations = new(() =>
        EF.CompileAsyncQuery<LeadRouterDb, BrokerRotation>(db => db.BrokerRotations.AsNoTracking()));

    static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> rows, CancellationToken ct)
    {
        var list = new List<T>();
        await foreach (var row in rows.WithCancellation(ct)) list.Add(row);
        return list;
    }

    /// <summary>The routing lock: a conditional update of the one lock row, held until the transaction ends.</summary>
    const string LockStatement = """UPDATE "BrokerRoutingLocks" SET "Version" = "Version" + 1 WHERE "Id" = 1""";

    static Task LockAsync(LeadRouterDb db, CancellationToken ct) => db.Database.ExecuteSqlRawAsync(LockStatement, ct);

    /// <summary>
    /// Takes the routing lock unless <paramref name="locked"/>, then reads every live broker and every rotation state.
    /// On PostgreSQL that is one round trip: the lock and one query returning both as JSON, run as a batch (each
    /// statement sees the rows committed before it, so the reads follow the lock).
    /// </summary>
    static async Task<(List<Broker> Brokers, List<BrokerRotation> Rotations)> LoadAsync(LeadRouterDb db, bool locked, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql())
        {
            if (!locked) await LockAsync(db, ct);
            return (await ToListAsync(LiveBrokers.For(db)(db), ct), await ToListAsync(Rotations.For(db)(db), ct));
        }

        await using var batch = db.Database.GetDbConnection().CreateBatch();
        batch.Transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Routing needs its transaction.");
        if (!locked) batch.Add(LockStatement);
        batch.Add("""
            SELECT (SELECT coalesce(json_agg(b ORDER BY b."Id"), '[]') FROM "Brokers" b WHERE b."DeletedAt" IS NULL)::text,
                   (SELECT coalesce(json_agg(r), '[]') FROM "BrokerRotations" r)::text
            """);
        string? brokers = null, rotations = null;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            do
            {
                if (reader.FieldCount == 2 && await reader.ReadAsync(ct)) (brokers, rotations) = (reader.GetString(0), reader.GetString(1));
            }
            while (await reader.NextResultAsync(ct));
        }
        if (brokers is null || rotations is null) throw new InvalidOperationException("The routing state could not be read.");
        return (JsonSerializer.Deserialize<List<Broker>>(brokers) ?? [], JsonSerializer.Deserialize<List<BrokerRotation>>(rotations) ?? []);
    }

    /// <summary>
    /// A routing run decided but not yet written: every lead's decision in routing order, the rotation groups after the
    /// run, the brokers it saw, each lead's source and the routing instant (UTC).
    /// </summary>
    internal sealed record DecidedRun(BatchRouting Batch, IReadOnlyList<Broker> Brokers, IReadOnlyDictionary<long, long?> SourceOf, DateTimeOffset Now);

    /// <summary>
    /// Decides where new leads go, inside the caller's open transaction, before they are stored (with their reserved ids,
    /// <see cref="LeadStore.ReserveAsync"/>, in routing order): takes the routing lock, reads brokers, rotation states and
    /// cap counts, decides, and sets on each lead what the conditional update of a stored lead would write: broker,
    /// <see cref="LeadStatus.Pending"/> and the assignment time, or the unrouted reason. The caller then stores them with
    /// <see cref="WriteNewLeadsAsync"/>.
    /// </summary>
    internal async Task<DecidedRun> DecideNewLeadsAsync(LeadRouterDb db, IReadOnlyList<Lead> leads, CancellationToken ct)
    {
        var decided = await DecideAsync(db, leads.Select(l => new RoutableLead(l.Id, l.Country, l.Amount, l.SourceId)).ToList(), null, locked: false, ct);
        var byId = leads.ToDictionary(l => l.Id);
        foreach (var decision in decided.Batch.Decisions)
        {
            var lead = byId[decision.LeadId];
            if (decision is Routed r)
                (lead.BrokerId, lead.Status, lead.AssignedAt, lead.StatusChangedAt) = (r.BrokerId, LeadStatus.Pending, decided.Now, decided.Now);
            else if (decision is Unrouted u)
                lead.UnroutedReason = StoredReason(u.Reason);
        }
        return decided;
    }

    /// <summary>
    /// Stores new leads that carry their decision (<paramref name="insert"/>), then writes the run decided by
    /// <see cref="DecideNewLeadsAsync"/> (none when <paramref name="decided"/> is null): the routing log, rotation groups and
    /// outbox rows, and <paramref name="alsoWrite"/>. On PostgreSQL the insert and the writes are one round trip.
    /// </summary>
    /// <exception cref="ConcurrentRoutingException">A lead was stored meanwhile by a writer without the import lock: retry.</exception>
    internal async Task<RoutingRun> WriteNewLeadsAsync(LeadRouterDb db, DecidedRun? decided, LeadStore.LeadInsert insert,
        RoutingTrigger trigger, IReadOnlyList<FormattableString> alsoWrite, CancellationToken ct)
    {
        if (decided is not null) return await WriteAsync(db, decided, trigger, insert, alsoWrite, ct);
        await RoutingWrites.WriteAsync(db, new RoutingWritePlan([], [], [], [], trigger, clock.GetUtcNow(), alsoWrite, insert), ct);
        return RoutingRun.Empty;
    }

    async Task<DecidedRun> DecideAsync(LeadRouterDb db, IReadOnlyList<RoutableLead> leads, IReadOnlySet<long>? excluded, bool locked, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var (brokers, rotations) = await LoadAsync(db, locked, ct);
        var states = brokers.Select(BrokerRules.ToState).Select(s => excluded?.Contains(s.BrokerId) == true ? s with { Active = false } : s).ToList();
        var counts = await CapCountsAsync(db, brokers, now, ct);
        var groups = rotations
            .GroupBy(r => new RoutingGroupKey(r.Priority, r.Country))
            .ToDictionary(g => g.Key, g => new RoutingGroupState(g.ToDictionary(r => r.BrokerId, r => r.Current)));
        var batch = BrokerRouting.RouteBatch(
            leads.Select(l => new LeadFacts(l.Id, l.Country, l.Amount)).ToList(), states, counts, groups, now);
        return new DecidedRun(batch, brokers, leads.ToDictionary(l => l.Id, l => l.SourceId), now);
    }

    /// <summary>The longest unrouted reason stored (the column's length).</summary>
    const int MaxReasonLength = 500;

    /// <summary>An unrouted reason cut to the column's length.</summary>
    static string StoredReason(string reason) => reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason;

    /// <summary>Writes a decided run; with <paramref name="insert"/> its leads are new and stored with their decision first.</summary>
    async Task<RoutingRun> WriteAsync(LeadRouterDb db, DecidedRun decided, RoutingTrigger trigger, LeadStore.LeadInsert? insert,
        IReadOnlyList<FormattableString> alsoWrite, CancellationToken ct)
    {
        var leadsWritten = insert is not null;
        var (batch, brokers, sourceOf, now) = (decided.Batch, decided.Brokers, decided.SourceOf, decided.Now);
        var names = brokers.ToDictionary(b => b.Id, b => b.Name);
        var routed = new List<Routed>();
        var unrouted = new List<Unrouted>();
        foreach (var decision in batch.Decisions)
            switch (decision)
            {
                case Routed r: routed.Add(r); break;
                case Unrouted u: unrouted.Add(u); break;
                default: throw new InvalidOperationException($"Unknown routing decision {decision.GetType().Name}.");
            }

        var plan = new RoutingWritePlan(
            leadsWritten ? [] : routed,
            leadsWritten ? [] : unrouted.GroupBy(u => u.Reason).Select(g => (StoredReason(g.Key), (IReadOnlyList<long>)g.Select(u => u.LeadId).ToList())).ToList(),
            routed.Select(r => (r, sourceOf[r.LeadId], DecisionText(r))).ToList(),
            batch.ChangedGroups.Select(key => (key, batch.Groups[key])).ToList(),
            trigger, now, alsoWrite, insert);
        if (await RoutingWrites.WriteAsync(db, plan, ct) != plan.Routed.Count) throw new ConcurrentRoutingException();

        // DESIGN rule 5: the push of each lead to a broker with auto-push and an endpoint is an outbox row in this transaction.
        var pushTo = brokers.Where(b => b.AutoPush && b.EndpointUrl is not null).Select(b => b.Id).ToHashSet();
        var deliveries = routed.Where(r => pushTo.Contains(r.BrokerId))
            .Select(r => DispatchDeliveries.NewDelivery(r.LeadId, r.BrokerId, DeliveryTrigger.Routing, now)).ToList();
        if (deliveries.Count > 0)
        {
            db.Deliveries.AddRange(deliveries);
            db.ChangeTracker.DetectChanges();
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }

        var outcomes = batch.Decisions.Select(d => d switch
        {
            Routed r => new LeadRouteOutcome(r.LeadId, r.BrokerId, names[r.BrokerId], null, null),
            Unrouted u => new LeadRouteOutcome(u.LeadId, null, null, u.Reason, u.RetryAt),
            _ => throw new InvalidOperationException(),
        }).ToList();
        return new RoutingRun(routed.Count, unrouted.Count,
            routed.GroupBy(r => names[r.BrokerId]).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            unrouted.GroupBy(u => u.Reason).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            outcomes);
    }

    /// <summary>
    /// Each capped broker's routed leads in its current hour / day / month windows (its time zone), counted in SQL over
    /// <see cref="BrokerAssignment.RoutedAt"/> ranges. Brokers without caps are not counted (routing does not need them),
    /// and only the windows of a broker's caps are: a broker with a daily cap alone has today's assignments counted, not
    /// the month's (its month count is then 0, which no cap reads).
    /// </summary>
    internal static async Task<Dictionary<long, CapCounts>> CapCountsAsync(LeadRouterDb db, IEnumerable<Broker> brokers, DateTimeOffset now, CancellationToken ct)
    {
        var counts = new Dictionary<long, CapCounts>();
        foreach (var b in brokers.Where(b => b.Active && (b.HourlyCap ?? b.DailyCap ?? b.MonthlyCap) is not null))
        {
            var widest = b.MonthlyCap is not null ? CapKind.Monthly : b.DailyCap is not null ? CapKind.Daily : CapKind.Hourly;
            counts[b.Id] = await WindowCountsAsync(db, b.Id, CapWindows.At(b.TimeZone, now), ct, widest);
        }
        return counts;
    }

    /// <summary>
    /// One broker's routed leads in the given windows, scanning its assignments of the <paramref name="widest"/> window
    /// only; the counts of wider windows are then 0.
    /// </summary>
    internal static async Task<CapCounts> WindowCountsAsync(LeadRouterDb db, long brokerId, CapWindows w, CancellationToken ct, CapKind widest = CapKind.Monthly)
    {
        var (ds, de, hs, he) = (w.DayStart, w.NextDay, w.HourStart, w.NextHour);
        var (from, to) = widest switch
        {
            CapKind.Monthly => (w.MonthStart, w.NextMonth),
            CapKind.Daily => (ds, de),
            _ => (hs, he),
        };
        var row = await db.BrokerAssignments
            .Where(a => a.BrokerId == brokerId && a.RoutedAt >= from && a.RoutedAt < to)
            .GroupBy(a => a.BrokerId)
            .Select(g => new
            {
                Month = g.Count(),
                Day = g.Count(a => a.RoutedAt >= ds && a.RoutedAt < de),
                Hour = g.Count(a => a.RoutedAt >= hs && a.RoutedAt < he),
            })
            .SingleOrDefaultAsync(ct);
        return row is null ? CapCounts.Zero : new CapCounts(row.Hour, widest == CapKind.Hourly ? 0 : row.Day, widest == CapKind.Monthly ? row.Month : 0);
    }

    static string DecisionText(Routed r) => JsonSerializer.Serialize(new
    {
        candidates = r.Candidates.Select(c => new { brokerId = c.BrokerId, weight = c.Weight }),
        exclusions = r.Exclusions.Select(e => new { brokerId = e.BrokerId, reason = e.Reason, reopensAt = e.ReopensAt }),
    }, DecisionJson);

    /// <summary>A lead of a routing run got another owner meanwhile; the run's transaction is to be retried.</summary>
    internal sealed class ConcurrentRoutingException() : Exception("A lead of this run got another owner meanwhile; retrying.");
}
