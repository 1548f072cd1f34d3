using System.Data.Common;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Brokers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>One attempt as the API shows it.</summary>
/// <param name="DeliveryId">The delivery (null for a test push).</param>
/// <param name="WebhookId">The <c>webhook-id</c> sent.</param>
/// <param name="Attempt">Attempt number, 1-based.</param>
/// <param name="Status">The delivery's status after the attempt (pending = will retry at <paramref name="NextAttemptAt"/>).</param>
/// <param name="HttpStatus">The answer's status code, or null when there was no answer.</param>
/// <param name="ResponseExcerpt">The first 2 KB of the answer.</param>
/// <param name="DurationMs">How long the attempt took.</param>
/// <param name="Error">Why there was no answer, or null.</param>
/// <param name="NextAttemptAt">When the next attempt is due, while pending.</param>
public sealed record PushAttemptDto(
    long? DeliveryId, string WebhookId, int Attempt, DeliveryStatus Status, int? HttpStatus, string? ResponseExcerpt,
    int DurationMs, string? Error, DateTimeOffset? NextAttemptAt);

/// <summary>
/// Sends the delivery outbox (DESIGN rule 5). <see cref="RunDueAsync"/> claims a batch of due rows with a lease
/// (<see cref="DeliveryQueue.ClaimDueAsync"/>), loads their brokers and leads in one query each (each broker's API key
/// and signing secret are decrypted once per batch), pushes them through <see cref="BrokerPushClient"/>
/// (<see cref="BrokersOptions.DispatchParallelism"/> at once), then records the whole batch in one transaction: each
/// delivery's new status and next attempt time decided by <see cref="DeliveryPolicy.Decide"/> (written only while the
/// claim's lease token still holds the row), one <see cref="PushLog"/> row per attempt, and each broker's failures in a
/// row (<see cref="DeliveryPolicy.FailuresInRow"/>, pausing it at the limit), taking its locks in one order and run again
/// should the database still break a deadlock with it (<see cref="RecordAsync"/>). A delivery keeps its <c>webhook-id</c>
/// across attempts and restarts, so a receiver can drop a repeat sent after a crash between its answer and our record.
/// When a routed lead's delivery dies and its broker has <see cref="Broker.FailoverOnDead"/>, the lead is taken back
/// from that broker (its routing log row removed, so the broker's caps no longer count it; the dead delivery and its
/// attempts stay as the record) and routed again with that broker sitting out.
/// </summary>
public sealed class DispatchDeliveries(
    IDbContextFactory<LeadRouterDb> dbs, Func<BrokerPushClient> pushClient, BrokerSecrets secrets, RouteLeads router,
    IOptions<BrokersOptions> options, TimeProvider clock, ILogger<DispatchDeliveries> log)
{
    /// <summary>Claims and sends one batch of due deliveries; returns how many were attempted.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        var claimed = await ClaimAsync(ct);
        if (claimed.Count > 0) await AttemptBatchAsync(claimed, ct);
        return claimed.Count;
    }

    /// <summary>
    /// Runs batches until nothing is due now; returns how many attempts were made. Batches overlap: while one batch's
    /// attempts are recorded, the next one is being sent. The next claim waits until the previous record is done, so
    /// the database never has two dispatcher writes of this node at once.
    /// </summary>
    public async Task<int> DrainAsync(CancellationToken ct)
    {
        var total = 0;
        var recording = Task.CompletedTask;
        try
        {
            var claimed = await ClaimAsync(ct);
            while (claimed.Count > 0)
            {
                var sent = await SendBatchAsync(claimed, ct);
                total += claimed.Count;
                await recording;
                claimed = await ClaimAsync(ct);
                recording = FinishBatchAsync(sent, ct);
                if (claimed.Count == 0)
                {
                    // The last record may fail a lead over to another broker: its new delivery is due now too.
                    await recording;
                    claimed = await ClaimAsync(ct);
                }
            }
        }
        finally
        {
            await recording;
        }
        return total;
    }

    async Task<IReadOnlyList<Delivery>> ClaimAsync(CancellationToken ct)
    {
        var o = options.Value;
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await DeliveryQueue.ClaimDueAsync(db, clock.GetUtcNow(), TimeSpan.FromSeconds(o.LeaseSeconds), o.DispatchBatchSize, null, ct);
    }

    /// <summary>
    /// <c>push-lead</c>: writes a new delivery of the lead to the broker and makes its first attempt now. A transient
    /// failure leaves it pending for the dispatcher's retries.
    /// </summary>
    /// <returns>The first attempt, or null when the lead or the broker does not exist.</returns>
    /// <exception cref="InputException">The broker has no delivery endpoint (field <c>brokerId</c>).</exception>
    public async Task<PushAttemptDto?> PushNowAsync(long leadId, long brokerId, CancellationToken ct)
    {
        long id;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var broker = await db.Brokers.AsNoTracking().Where(b => b.Id == brokerId && b.DeletedAt == null)
                .Select(b => new { b.EndpointUrl }).SingleOrDefaultAsync(ct);
            if (broker is null || !await db.Leads.AnyAsync(l => l.Id == leadId, ct)) return null;
            if (broker.EndpointUrl is null) throw new InputException("brokerId", "The broker has no delivery endpoint (upload its API configuration first).");
            var now = clock.GetUtcNow();
            var delivery = NewDelivery(leadId, brokerId, DeliveryTrigger.Manual, now);
            db.Deliveries.Add(delivery);
            await db.SaveChangesAsync(ct);
            id = delivery.Id;
        }

        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var claimed = await DeliveryQueue.ClaimDueAsync(db, clock.GetUtcNow(), TimeSpan.FromSeconds(options.Value.LeaseSeconds), 1, id, ct);
            // Another node's dispatcher may have taken it first; then its attempt is the first one.
            return claimed.Count == 1 ? (await AttemptBatchAsync(claimed, ct))[0] : await LastAttemptAsync(id, ct);
        }
    }

    /// <summary>
    /// A test push: a sample lead, signed like a real one, sent once now. Nothing is written but its log row
    /// (marked test), and it is no routing, so it never counts against caps or failures in a row.
    /// </summary>
    /// <returns>The attempt, or null when there is no such broker.</returns>
    /// <exception cref="InputException">The broker has no delivery endpoint.</exception>
    public async Task<PushAttemptDto?> TestPushAsync(long brokerId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var broker = await db.Brokers.AsNoTracking().SingleOrDefaultAsync(b => b.Id == brokerId && b.DeletedAt == null, ct);
        if (broker is null) return null;
        if (broker.EndpointUrl is null) throw new InputException("brokerId", "The broker has no delivery endpoint (upload its API configuration first).");
        var now = clock.GetUtcNow();
        var sample = new Lead
        {
            Id = 0,
            IdentityKey = "test",
            ExternalId = "test-lead",
            Name = "Test Lead",
            Email = "test.lead@example.com",
            Phone = "+971500000000",
            Country = "AE",
            Amount = 1000m,
            CreatedAt = now,
        };
        var webhookId = NewWebhookId();
        var target = Target.Of(broker, secrets);
        var answer = await pushClient().SendAsync(target.Message(webhookId, PushBody.Write(sample, "TEST", target.FieldMap, test: true)), ct);
        var status = answer.HttpStatus is >= 200 and < 300 ? DeliveryStatus.Delivered : DeliveryStatus.Rejected;
        db.PushLogs.Add(new PushLog
        {
            BrokerId = brokerId,
            Test = true,
            Attempt = 1,
            Status = status,
            HttpStatus = answer.HttpStatus,
            ResponseExcerpt = answer.Excerpt,
            DurationMs = answer.DurationMs,
            Error = answer.Error,
            At = clock.GetUtcNow(),
        });
        await db.SaveChangesAsync(ct);
        return new PushAttemptDto(null, webhookId, 1, status, answer.HttpStatus, answer.Excerpt, answer.DurationMs, answer.Error, null);
    }

    /// <summary>The outbox row of one routed lead (written by the routing transaction).</summary>
    internal static Delivery NewDelivery(long leadId, long brokerId, DeliveryTrigger trigger, DateTimeOffset now) => new()
    {
        WebhookId = NewWebhookId(),
        LeadId = leadId,
        BrokerId = brokerId,
        Trigger = trigger,
        Status = DeliveryStatus.Pending,
        NextAttemptAt = now,
        CreatedAt = now,
    };

    static string NewWebhookId() => "msg_" + Guid.CreateVersion7().ToString("N");

    /// <summary>A broker as one batch pushes to it: endpoint, headers, decrypted secrets and field mapping, or why it cannot be pushed to.</summary>
    sealed record Target(Broker Broker, Uri? Endpoint, IReadOnlyDictionary<string, string> Headers, string ApiKeyHeader, string? ApiKey,
        string? SigningSecret, LeadFieldMap? FieldMap, string? Unusable)
    {
        public static Target Of(Broker b, BrokerSecrets secrets)
        {
            var unusable = b.DeletedAt is not null ? "The broker was deleted." : b.EndpointUrl is null ? "The broker has no delivery endpoint." : null;
            if (unusable is not null) return new(b, null, new Dictionary<string, string>(), "", null, null, null, unusable);
            return new(b, new Uri(b.EndpointUrl!), BrokerApiConfig.HeadersOf(b), b.ApiKeyHeader ?? BrokerApiConfig.DefaultApiKeyHeader,
                b.ApiKeyProtected is { } k ? secrets.Unprotect(k) : null,
                b.SigningSecretProtected is { } s ? secrets.Unprotect(s) : throw new InvalidOperationException($"Broker {b.Id} has no signing secret."),
                PushBody.Load(b.FieldMap), null);
        }

        public PushMessage Message(string webhookId, string body) =>
            new(Endpoint!, Broker.EndpointMethod, Headers, ApiKeyHeader, ApiKey, webhookId, SigningSecret!, body);
    }

    /// <summary>One attempt's result before it is recorded; <see cref="Ended"/> orders the attempts of a batch by completion.</summary>
    sealed record Outcome(Delivery Delivery, PushAnswer Answer, AttemptDecision Decision, long Ended)
    {
        public int Attempt => Delivery.Attempts + 1;

        public (DeliveryStatus Status, DateTimeOffset? Next) State => Decision switch
        {
            DeliveredAttempt => (DeliveryStatus.Delivered, null),
            RejectedAttempt => (DeliveryStatus.Rejected, null),
            RetryAttempt r => (DeliveryStatus.Pending, r.At),
            DeadAttempt => (DeliveryStatus.Dead, null),
            _ => throw new InvalidOperationException($"Unknown attempt decision {Decision.GetType().Name}."),
        };

        public string? Error => Answer.Error ?? (Decision is DeliveredAttempt ? null : $"HTTP {Answer.HttpStatus}");
    }

    /// <summary>Pushes claimed deliveries and records the attempts; the answers are in the order of <paramref name="claimed"/>.</summary>
    async Task<IReadOnlyList<PushAttemptDto>> AttemptBatchAsync(IReadOnlyList<Delivery> claimed, CancellationToken ct) =>
        await FinishBatchAsync(await SendBatchAsync(claimed, ct), ct);

    /// <summary>A batch whose pushes were made, with the brokers they went to.</summary>
    sealed record SentBatch(Outcome[] Outcomes, Dictionary<long, Target> Targets, DeliveryRules Rules);

    /// <summary>Loads the batch's brokers (secrets decrypted once each) and leads, and makes the pushes; writes nothing.</summary>
    async Task<SentBatch> SendBatchAsync(IReadOnlyList<Delivery> claimed, CancellationToken ct)
    {
        var o = options.Value;
        var rules = o.Rules;
        Dictionary<long, Target> targets;
        Dictionary<long, (Lead Lead, string? Source)> leads;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var brokerIds = claimed.Select(d => d.BrokerId).Distinct().ToList();
            targets = (await db.Brokers.AsNoTracking().Where(b => brokerIds.Contains(b.Id)).ToListAsync(ct))
                .ToDictionary(b => b.Id, b => Target.Of(b, secrets));
            var leadIds = claimed.Select(d => d.LeadId).Distinct().ToList();
            leads = (await db.Leads.AsNoTracking().Where(l => leadIds.Contains(l.Id)).Select(l => new { Lead = l, Source = l.Source!.Name }).ToListAsync(ct))
                .ToDictionary(x => x.Lead.Id, x => (x.Lead, (string?)x.Source));
        }

        var outcomes = new Outcome[claimed.Count];
        var ended = 0L;
        var client = pushClient();
        await Parallel.ForEachAsync(Enumerable.Range(0, claimed.Count),
            new ParallelOptions { MaxDegreeOfParallelism = o.DispatchParallelism, CancellationToken = ct }, async (i, token) =>
            {
                var d = claimed[i];
                var target = targets[d.BrokerId];
                PushAnswer answer;
                AttemptDecision decision;
                if (target.Unusable is { } why)
                {
                    answer = new PushAnswer(null, null, null, 0, why);
                    decision = new DeadAttempt();
                }
                else
                {
                    var (lead, source) = leads[d.LeadId];
                    answer = await client.SendAsync(target.Message(d.WebhookId, PushBody.Write(lead, source, target.FieldMap, test: false)), token);
                    decision = DeliveryPolicy.Decide(d.Attempts + 1, answer.HttpStatus, answer.RetryAfter, rules, clock.GetUtcNow(), Random.Shared.NextDouble());
                }
                outcomes[i] = new Outcome(d, answer, decision, Interlocked.Increment(ref ended));
            });
        return new SentBatch(outcomes, targets, rules);
    }

    /// <summary>Records a sent batch, then fails over the routed leads whose delivery died; the answers in claim order.</summary>
    async Task<IReadOnlyList<PushAttemptDto>> FinishBatchAsync(SentBatch sent, CancellationToken ct)
    {
        var (outcomes, targets, rules) = (sent.Outcomes, sent.Targets, sent.Rules);
        var recorded = await RecordAsync(outcomes, targets, rules, ct);

        foreach (var x in outcomes)
        {
            if (x.State.Status != DeliveryStatus.Dead || !recorded.Contains(x.Delivery.Id)) continue;
            var d = x.Delivery;
            log.LogWarning("Delivery {DeliveryId} of lead {LeadId} to broker {BrokerId} is dead after {Attempt} attempts: {Error}", d.Id, d.LeadId, d.BrokerId, x.Attempt, x.Error);
            var broker = targets[d.BrokerId].Broker;
            if (broker.FailoverOnDead && d.Trigger == DeliveryTrigger.Routing) await FailoverAsync(d, broker.Name, ct);
        }
        return outcomes.Select(x => new PushAttemptDto(x.Delivery.Id, x.Delivery.WebhookId, x.Attempt, x.State.Status, x.Answer.HttpStatus,
            x.Answer.Excerpt, x.Answer.DurationMs, x.Answer.Error, x.State.Next)).ToList();
    }

    /// <summary>How many times one batch's record transaction is tried before its error is let through.</summary>
    const int MaxRecordTries = 5;

    long recordRetries;

    /// <summary>Record transactions run again after a PostgreSQL deadlock or serialization failure (see <see cref="RecordAsync"/>).</summary>
    internal long RecordRetries => Interlocked.Read(ref recordRetries);

    /// <summary>
    /// Records a batch of attempts in one transaction (<see cref="AttemptWrites"/>): every delivery's new state in one
    /// statement, conditional on the claim's lease token (an attempt whose lease expired meanwhile is only logged), every
    /// log row in one statement, then each broker's failures in a row, brokers in id order. The report triggers update
    /// rollup rows inside this transaction; on PostgreSQL it takes its locks in one order (the batch's leads by id, rollup
    /// rows by key, brokers by id), so two nodes recording at once wait for each other instead of deadlocking. Should the
    /// database still end it with a deadlock (40P01, e.g. against another writer about the same lead) or a serialization
    /// failure (40001), it was rolled back whole and is run again, up to <see cref="MaxRecordTries"/> tries: no outcome is
    /// lost or written twice. Returns the ids of the deliveries whose outcome was written.
    /// </summary>
    async Task<HashSet<long>> RecordAsync(IReadOnlyList<Outcome> outcomes, IReadOnlyDictionary<long, Target> targets, DeliveryRules rules, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var attempts = outcomes.Select(x =>
        {
            var (status, next) = x.State;
            var d = x.Delivery;
            return new AttemptRecord(d.Id, d.LeaseToken, d.LeadId, d.BrokerId, x.Attempt, status, next ?? d.NextAttemptAt, next is null,
                x.Answer.HttpStatus, x.Error, x.Answer.Excerpt, x.Answer.DurationMs, x.Answer.Error);
        }).ToList();
        for (var tries = 1; ; tries++)
        {
            try
            {
                var (written, paused) = await RecordOnceAsync(outcomes, attempts, rules, now, ct);
                if (written.Count != attempts.Count)
                    log.LogWarning("{Lost} of {Count} deliveries lost their lease before their attempt was recorded; those attempts are logged only",
                        attempts.Count - written.Count, attempts.Count);
                foreach (var (brokerId, failures) in paused)
                    log.LogError("Broker {Broker} ({BrokerId}) paused after {Failures} failed pushes in a row; set it active again once its endpoint works",
                        targets[brokerId].Broker.Name, brokerId, failures);
                return written;
            }
            catch (Exception e) when (tries < MaxRecordTries && LockConflict(e) is { } state)
            {
                Interlocked.Increment(ref recordRetries);
                log.LogWarning("Recording a batch of {Count} attempts failed with {SqlState} (try {Try}); recording it again", attempts.Count, state, tries);
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(10, 50) * tries), ct);
            }
        }
    }

    /// <summary>The SQLSTATE when <paramref name="e"/> (or an exception inside it) is a deadlock or serialization failure, else null.</summary>
    static string? LockConflict(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is DbException { SqlState: "40P01" or "40001" } db) return db.SqlState;
        return null;
    }

    /// <summary>One try of <see cref="RecordAsync"/>: the deliveries written, and the brokers it paused with their failures in a row.</summary>
    async Task<(HashSet<long> Written, List<(long BrokerId, int Failures)> Paused)> RecordOnceAsync(
        IReadOnlyList<Outcome> outcomes, IReadOnlyList<AttemptRecord> attempts, DeliveryRules rules, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var written = await AttemptWrites.WriteAsync(db, attempts, now, ct);

        var paused = new List<(long, int)>();
        foreach (var group in outcomes.GroupBy(x => x.Delivery.BrokerId).OrderBy(g => g.Key))
        {
            var brokerId = group.Key;
            var run = DeliveryPolicy.FailuresInRow(group.OrderBy(x => x.Ended).Select(x => x.Decision.Failed));
            if (run.Reset && run.Failures == 0)
            {
                await db.Brokers.Where(b => b.Id == brokerId && b.ConsecutiveFailures != 0).ExecuteUpdateAsync(s => s.SetProperty(b => b.ConsecutiveFailures, 0), ct);
                continue;
            }
            var n = run.Failures;
            if (run.Reset) await db.Brokers.Where(b => b.Id == brokerId).ExecuteUpdateAsync(s => s.SetProperty(b => b.ConsecutiveFailures, n), ct);
            else await db.Brokers.Where(b => b.Id == brokerId).ExecuteUpdateAsync(s => s.SetProperty(b => b.ConsecutiveFailures, b => b.ConsecutiveFailures + n), ct);
            var failures = await db.Brokers.Where(b => b.Id == brokerId).Select(b => b.ConsecutiveFailures).SingleAsync(ct);
            if (DeliveryPolicy.ShouldPause(failures, rules)
                && await db.Brokers.Where(b => b.Id == brokerId && b.Active && b.PausedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(b => b.Active, false).SetProperty(b => b.PausedAt, now), ct) == 1)
                paused.Add((brokerId, failures));
        }
        await tx.CommitAsync(ct);
        return (written, paused);
    }

    async Task FailoverAsync(Delivery d, string brokerName, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var reason = $"delivery to {brokerName} failed";
            var released = await db.Leads.Where(l => l.Id == d.LeadId && l.BrokerId == d.BrokerId && l.Status == LeadStatus.Pending)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(l => l.BrokerId, (long?)null)
                    .SetProperty(l => l.Status, LeadStatus.New)
                    .SetProperty(l => l.AssignedAt, (DateTimeOffset?)null)
                    .SetProperty(l => l.StatusChangedAt, now)
                    .SetProperty(l => l.UnroutedReason, reason), ct);
            if (released == 0) return; // the broker already worked the lead, or it moved on: leave it
            await db.BrokerAssignments.Where(a => a.LeadId == d.LeadId && a.BrokerId == d.BrokerId).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
        }

        var run = await router.RouteLeadIdsAsync([d.LeadId], RoutingTrigger.Failover, ct, new HashSet<long> { d.BrokerId });
        log.LogInformation("Lead {LeadId} failed over from broker {BrokerId}: {Outcome}", d.LeadId, d.BrokerId,
            run.Outcomes.SingleOrDefault() is { BrokerId: { } to } ? $"routed to broker {to}" : "no other broker can take it now");
    }

    async Task<PushAttemptDto?> LastAttemptAsync(long deliveryId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var d = await db.Deliveries.AsNoTracking().SingleAsync(x => x.Id == deliveryId, ct);
        var last = await db.PushLogs.AsNoTracking().Where(l => l.DeliveryId == deliveryId).OrderByDescending(l => l.Attempt).FirstOrDefaultAsync(ct);
        return new PushAttemptDto(d.Id, d.WebhookId, d.Attempts, d.Status, last?.HttpStatus, last?.ResponseExcerpt, last?.DurationMs ?? 0,
            last?.Error, d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null);
    }
}
