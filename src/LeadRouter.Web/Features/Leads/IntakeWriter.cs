using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using LeadRouter.Data;
using LeadRouter.Data.Agents;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Platform;
using Microsoft.EntityFrameworkCore;
using Polly;
using Polly.Retry;

namespace LeadRouter.Web.Features.Leads;

/// <summary>
/// The intake API's group commit. Each call of <c>POST /api/v1/leads</c> (already normalised and valid) is queued; one
/// writer loop per node takes every call waiting at that moment (up to <see cref="MaxBatchLeads"/> leads) and writes them
/// in ONE transaction, then answers each call. Many concurrent single-lead calls thus cost one transaction, not one each,
/// and a call is answered only after its leads are committed.
/// <list type="number">
/// <item>The transaction is begun by <see cref="LeadStore.BeginAsync"/>: SQLite's write lock, or on PostgreSQL the
/// import advisory lock, so intake batches and file imports of any node write leads one at a time (no deadlock on each
/// other's keys).</item>
/// <item>The import of each call: one per UTC day and user (<see cref="Import.IntakeKey"/> <c>api:{day}:{user}</c>, file
/// name <c>api {day}</c>), found or created in the transaction; its counters grow with every batch.</item>
/// <item>Sources are found or created as a file import does; a key seen earlier in the batch or already stored is a
/// duplicate (the earlier lead wins). Stored keys and the new leads' ids come from one query under the import lock
/// (<see cref="LeadStore.ReserveAsync"/>).</item>
/// <item>New leads of sources set to route to brokers are routed in the same transaction before they are stored
/// (<see cref="RouteLeads.DecideNewLeadsAsync"/>: routing lock, caps and rotation in the database), inserted in arrival
/// order with their broker or unrouted reason already set, with the routing log, rotation rows and the import counters
/// (<see cref="RouteLeads.WriteNewLeadsAsync"/>; one round trip on PostgreSQL). Each lead row is written once.</item>
/// <item>After the commit, sources with an agent pool are assigned (<see cref="LeadAssigner.AssignSourceAsync"/>, trigger
/// <see cref="AssignmentTrigger.Import"/>), as after a file import; then each call gets its outcome.</item>
/// </list>
/// Queueing, gathering and answering are <see cref="GroupCommit{TItem, TResult}"/>'s. A transaction that fails on a
/// transient database error or a routing collision is retried (Polly); if a batch of several calls still fails, each call
/// is written alone, so one bad call cannot fail the others.
/// </summary>
public sealed class IntakeWriter(
    IDbContextFactory<LeadRouterDb> dbs, RouteLeads router, LeadAssigner assigner, TimeProvider clock, ILogger<IntakeWriter> log)
    : IAsyncDisposable
{
    /// <summary>Most leads one transaction takes (a larger call is written alone).</summary>
    public const int MaxBatchLeads = 5_000;

    static readonly ResiliencePipeline Retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder()
                .Handle<DbUpdateException>()
                .Handle<RouteLeads.ConcurrentRoutingException>()
                .Handle<DbException>(e => e.IsTransient || e.SqlState is "40P01" or "40001"),
            MaxRetryAttempts = 4,
            Delay = TimeSpan.FromMilliseconds(50),
            BackoffType = DelayBackoffType.Linear,
        })
        .Build();

    GroupCommit<IntakeCall, IntakeResult>? group;
    // Committed rows only (written by the loop alone): source key → id, intake key → import id.
    readonly Dictionary<string, long> sourceIds = new(StringComparer.Ordinal);
    readonly Dictionary<string, long> importIds = new(StringComparer.Ordinal);
    // The loop's own context with its connection kept open (no open, pragmas and close per transaction); replaced after an error.
    readonly KeptContext kept = new(dbs, db => db.ChangeTracker.AutoDetectChangesEnabled = false);

    GroupCommit<IntakeCall, IntakeResult> Group =>
        LazyInitializer.EnsureInitialized(ref group, () => new(WriteAsync, c => c.Rows.Count, MaxBatchLeads, "Intake", log));

    /// <summary>Transactions committed and calls they answered so far (calls ÷ transactions = the average group size).</summary>
    internal (long Transactions, long Calls) Committed => Group.Committed;

    /// <summary>One queued call: its valid normalised rows, its warning count and who sent it.</summary>
    sealed record IntakeCall(IReadOnlyList<NormalizedRow> Rows, int Warnings, string? ImportedBy);

    /// <summary>Where one row of a call stands after the transaction.</summary>
    struct RowState
    {
        public int Unique;          // index into the batch's distinct leads
        public bool Duplicate;
    }

    /// <summary>What one transaction wrote, for the answers: <see cref="Unique"/> holds the batch's distinct leads, each with
    /// its new id, or id 0 when its key was already stored (not inserted).</summary>
    sealed record Written(
        IReadOnlyList<IntakeCall> Calls, RowState[][] Rows, long[] ImportOf, List<Lead> Unique,
        HashSet<long> Pooled, Dictionary<long, LeadRouteOutcome> Routes, Dictionary<string, long> NewSources, Dictionary<string, long> NewImports);

    /// <summary>
    /// Queues the rows of one call (every <see cref="NormalizedRow.Lead"/> set) and waits until they are committed.
    /// <paramref name="ct"/> (the request) only stops the waiting: a call already being written is still written.
    /// </summary>
    /// <returns>The call's import, counts and one outcome per row in order.</returns>
    public Task<IntakeResult> SubmitAsync(IReadOnlyList<NormalizedRow> rows, int warnings, string? importedBy, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Any(r => r.Lead is null)) throw new ArgumentException("Only valid rows can be written.", nameof(rows));
        return Group.SubmitAsync(new IntakeCall(rows, warnings, importedBy), ct);
    }

    /// <summary>One group: its transaction (retried), then the answers; the answers failing is not a reason to write again.</summary>
    async Task<IReadOnlyList<IntakeResult>> WriteAsync(IReadOnlyList<IntakeCall> calls)
    {
        async Task<Written> WriteRetriedAsync() =>
            await Retry.ExecuteAsync(async token => await WriteOnceAsync(calls, token), CancellationToken.None);
        Written written;
        try
        {
            written = await WriteRetriedAsync();
        }
        catch (Exception e) when (IsMissingReference(e) && sourceIds.Count + importIds.Count > 0)
        {
            // A cached source or import id is stale (its row was removed since it was cached): forget them all, so they
            // are read or created again, and write once more.
            log.LogWarning(e, "Intake batch of {Calls} calls referred to a removed source or import; writing it once more", calls.Count);
            sourceIds.Clear();
            importIds.Clear();
            written = await WriteRetriedAsync();
        }
        foreach (var (key, id) in written.NewSources) sourceIds[key] = id;
        foreach (var (key, id) in written.NewImports) importIds[key] = id;
        try
        {
            return await AnswerAsync(written, CancellationToken.None);
        }
        catch (Exception e)
        {
            // The leads are committed; a repeat of the call reports them as duplicates.
            throw new GroupMayBeWrittenException($"Intake batch of {calls.Count} calls was stored but its answers could not be made", e);
        }
    }

    /// <summary>A foreign-key violation (PostgreSQL 23503, SQLite 787), also when wrapped.</summary>
    static bool IsMissingReference(Exception? e) => e switch
    {
        null => false,
        DbException { SqlState: "23503" } => true,
        Microsoft.Data.Sqlite.SqliteException { SqliteExtendedErrorCode: 787 } => true,
        _ => IsMissingReference(e.InnerException),
    };

    Task<Written> WriteOnceAsync(IReadOnlyList<IntakeCall> calls, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return kept.RunAsync(db => WriteOnceAsync(db, calls, now, ct), ct);
    }

    async Task<Written> WriteOnceAsync(LeadRouterDb db, IReadOnlyList<IntakeCall> calls, DateTimeOffset now, CancellationToken ct)
    {
        await using var store = await LeadStore.BeginAsync(db, ct);
        var newImports = new Dictionary<string, long>(StringComparer.Ordinal);
        var importOf = new long[calls.Count];
        for (var c = 0; c < calls.Count; c++)
        {
            var key = IntakeKey(now, calls[c].ImportedBy);
            if (!importIds.TryGetValue(key, out var id) && !newImports.TryGetValue(key, out id))
                newImports[key] = id = await ImportIdAsync(db, key, calls[c].ImportedBy, now, ct);
            importOf[c] = id;
        }

        var newSources = new Dictionary<string, long>(StringComparer.Ordinal);
        var unique = new List<Lead>();
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        var rows = new RowState[calls.Count][];
        for (var c = 0; c < calls.Count; c++)
        {
            rows[c] = new RowState[calls[c].Rows.Count];
            for (var r = 0; r < rows[c].Length; r++)
            {
                var (lead, source) = calls[c].Rows[r];
                lead!.SourceId = source is null ? null : await SourceIdAsync(store, source, now, newSources, ct);
                lead.ImportId = importOf[c];
                lead.CreatedAt = now;
                var first = position.TryAdd(lead.IdentityKey, unique.Count);
                if (first) unique.Add(lead);
                rows[c][r] = new RowState { Unique = position[lead.IdentityKey], Duplicate = !first };
            }
        }

        // Which leads are new, and their ids: asked under the import lock, so it holds until the commit. Known ones are
        // not inserted.
        var (stored, reserved) = await store.ReserveAsync(unique.Select(l => l.IdentityKey).ToList(), ct);
        // A new lead gets its reserved id; a stored one keeps id 0 (not inserted).
        var fresh = new List<Lead>(unique.Count);
        for (var i = 0; i < unique.Count; i++)
        {
            var lead = unique[i];
            (lead.Status, lead.BrokerId, lead.AgentId, lead.AssignedAt, lead.StatusChangedAt, lead.UnroutedReason) = (LeadStatus.New, null, null, null, null, null);
            lead.Id = stored.Contains(lead.IdentityKey) ? 0 : reserved[i];
            if (lead.Id != 0) fresh.Add(lead);
        }
        for (var c = 0; c < rows.Length; c++)
            for (var r = 0; r < rows[c].Length; r++)
                if (unique[rows[c][r].Unique].Id == 0) rows[c][r].Duplicate = true;

        // Where the new leads go: brokers win over a pool (as for file imports).
        var newSourceIds = fresh.Where(l => l.SourceId is not null).Select(l => l.SourceId!.Value).Distinct().ToList();
        var toBrokers = new HashSet<long>();
        var pooled = new HashSet<long>();
        if (newSourceIds.Count > 0)
        {
            await foreach (var r in SourceTargets.For(db)(db, newSourceIds.ToArray()).WithCancellation(ct))
            {
                if (r.Brokers) toBrokers.Add(r.Id);
                else if (r.Pooled) pooled.Add(r.Id);
            }
        }

        // New leads of broker-routed sources are routed before they are stored, and inserted with their broker or
        // unrouted reason: each lead row is written once.
        var routable = fresh.Where(l => l.SourceId is { } s && toBrokers.Contains(s)).ToList();
        var decided = routable.Count == 0 ? null : await router.DecideNewLeadsAsync(db, routable, ct);

        // The import counters go with the routing writes (one round trip on PostgreSQL).
        var counters = new List<FormattableString>();
        foreach (var import in Enumerable.Range(0, calls.Count).GroupBy(c => importOf[c]))
        {
            int total = 0, accepted = 0, warnings = 0;
            foreach (var c in import)
            {
                total += rows[c].Length;
                accepted += rows[c].Count(r => !r.Duplicate);
                warnings += calls[c].Warnings;
            }
            var (importId, duplicates) = (import.Key, total - accepted);
            counters.Add($"""
                UPDATE "Imports" SET "Rows" = "Rows" + {total}, "Accepted" = "Accepted" + {accepted},
                    "Duplicates" = "Duplicates" + {duplicates}, "Warnings" = "Warnings" + {warnings}
                WHERE "Id" = {importId}
                """);
        }
        var run = await router.WriteNewLeadsAsync(db, decided, store.Insertion(fresh), RoutingTrigger.Import, counters, ct);

        await store.CommitAsync(ct);
        if (run.Routed > 0 || run.Unrouted > 0)
            log.LogDebug("Intake batch of {Calls} calls: {Routed} leads routed, {Unrouted} unrouted", calls.Count, run.Routed, run.Unrouted);
        return new Written(calls, rows, importOf, unique, pooled, run.Outcomes.ToDictionary(o => o.LeadId), newSources, newImports);
    }

    /// <summary>Per source: routed to brokers, and has an agent pool with auto-assign (one query, compiled once).</summary>
    static readonly PerModel<Func<LeadRouterDb, long[], IAsyncEnumerable<SourceTarget>>> SourceTargets = new(() => EF.CompileAsyncQuery(
        (LeadRouterDb db, long[] ids) => db.Sources.Where(x => ids.Contains(x.Id)).Select(x => new SourceTarget(
            x.Id,
            db.SourceRoutings.Any(r => r.SourceId == x.Id && r.RouteTo == RouteTarget.Brokers),
            db.AgentPools.Any(p => p.SourceId == x.Id && p.AutoAssign)))));

    sealed record SourceTarget(long Id, bool Brokers, bool Pooled);

    async Task<long> SourceIdAsync(LeadStore store, string name, DateTimeOffset now, Dictionary<string, long> created, CancellationToken ct)
    {
        var key = Source.KeyOf(name);
        if (sourceIds.TryGetValue(key, out var id) || created.TryGetValue(key, out id)) return id;
        return created[key] = await store.SourceIdAsync(name, now, ct);
    }

    /// <summary>The intake import of one UTC day and user, created when missing (under the transaction's write lock).</summary>
    static async Task<long> ImportIdAsync(LeadRouterDb db, string key, string? importedBy, DateTimeOffset now, CancellationToken ct)
    {
        var id = await db.Imports.Where(i => i.IntakeKey == key).Select(i => i.Id).FirstOrDefaultAsync(ct);
        if (id != 0) return id;
        var import = new Import
        {
            FileName = $"api {now.UtcDateTime:yyyy-MM-dd}",
            Purpose = ImportPurpose.Agents,
            ImportedBy = importedBy,
            CreatedAt = now,
            IntakeKey = key,
        };
        db.Imports.Add(import);
        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return import.Id;
    }

    /// <summary><c>api:{yyyy-MM-dd}:{user}</c> (UTC day); a user name too long for the column is replaced by its SHA-256.</summary>
    internal static string IntakeKey(DateTimeOffset now, string? user)
    {
        var key = $"api:{now.UtcDateTime:yyyy-MM-dd}:{user}";
        return key.Length <= 300 ? key : $"api:{now.UtcDateTime:yyyy-MM-dd}:sha256:{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(user!)))}";
    }

    /// <summary>After the commit: assigns pooled sources, reads what is needed of duplicates and assigned leads, answers.</summary>
    async Task<IntakeResult[]> AnswerAsync(Written w, CancellationToken ct)
    {
        foreach (var sourceId in w.Pooled.Order())
            await assigner.AssignSourceAsync(sourceId, AssignmentTrigger.Import, ct);

        var lookIds = new List<long>();
        foreach (var lead in w.Unique)
            if (lead.Id != 0 && lead.SourceId is { } s && w.Pooled.Contains(s)) lookIds.Add(lead.Id);
        var lookKeys = w.Unique.Where(l => l.Id == 0).Select(l => l.IdentityKey).ToList();
        var states = new Dictionary<string, LeadState>(StringComparer.Ordinal);
        var brokerNames = new Dictionary<long, string>();
        if (lookIds.Count > 0 || lookKeys.Count > 0)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            foreach (var s in await db.Leads.Where(l => lookIds.Contains(l.Id) || lookKeys.Contains(l.IdentityKey))
                         .Select(l => new LeadState(l.Id, l.IdentityKey, l.BrokerId, l.AgentId, l.Status, l.UnroutedReason)).ToListAsync(ct))
                states[s.IdentityKey] = s;
            var brokerIds = states.Values.Where(s => s.BrokerId is not null).Select(s => s.BrokerId!.Value).Distinct().ToList();
            if (brokerIds.Count > 0)
                brokerNames = await db.Brokers.Where(b => brokerIds.Contains(b.Id)).ToDictionaryAsync(b => b.Id, b => b.Name, ct);
        }

        var results = new IntakeResult[w.Calls.Count];
        for (var c = 0; c < w.Calls.Count; c++)
        {
            var outcomes = new IntakeLeadOutcome[w.Rows[c].Length];
            for (var r = 0; r < outcomes.Length; r++)
            {
                var row = w.Rows[c][r];
                var lead = w.Unique[row.Unique];
                var leadId = lead.Id != 0 ? lead.Id : states[lead.IdentityKey].Id;
                outcomes[r] = w.Routes.TryGetValue(leadId, out var route)
                    ? route.BrokerId is { } b
                        ? new IntakeLeadOutcome(r, leadId, row.Duplicate, "routed", b, route.Broker, null, null)
                        : new IntakeLeadOutcome(r, leadId, row.Duplicate, "unrouted", null, null, null, route.Reason)
                    : states.TryGetValue(lead.IdentityKey, out var state) ? state.Outcome(r, row.Duplicate, brokerNames)
                    : new IntakeLeadOutcome(r, leadId, row.Duplicate, "waiting", null, null, null, null);
            }
            var accepted = w.Rows[c].Count(x => !x.Duplicate);
            results[c] = new IntakeResult(w.ImportOf[c], accepted, outcomes.Length - accepted, outcomes);
        }
        return results;
    }

    sealed record LeadState(long Id, string IdentityKey, long? BrokerId, long? AgentId, LeadStatus Status, string? UnroutedReason)
    {
        public IntakeLeadOutcome Outcome(int index, bool duplicate, IReadOnlyDictionary<long, string> brokers)
        {
            var outcome = BrokerId is not null ? "routed" : AgentId is not null ? "assigned"
                : Status == LeadStatus.New && UnroutedReason is not null ? "unrouted" : Status == LeadStatus.New ? "waiting"
                : Status.ToString().ToLowerInvariant();
            return new IntakeLeadOutcome(index, Id, duplicate, outcome, BrokerId, BrokerId is { } b ? brokers[b] : null, AgentId,
                outcome == "unrouted" ? UnroutedReason : null);
        }
    }

    /// <summary>Stops taking calls and waits until the queued ones are written.</summary>
    public async ValueTask DisposeAsync()
    {
        await Group.DisposeAsync();
        await kept.DisposeAsync();
    }
}
