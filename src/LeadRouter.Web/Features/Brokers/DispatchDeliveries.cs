using System.Text.Json;
using System.Text.Json.Nodes;
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
/// Sends the delivery outbox (DESIGN rule 5). <see cref="RunDueAsync"/> claims due rows with a lease
/// (<see cref="DeliveryQueue.ClaimDueAsync"/>), pushes each through <see cref="BrokerPushClient"/> and records the attempt:
/// the delivery's new status and next attempt time decided by <see cref="DeliveryPolicy.Decide"/>, a
/// <see cref="PushLog"/> row, and the broker's failures in a row (pausing it at the limit). A delivery keeps its
/// <c>webhook-id</c> across attempts and restarts, so a receiver can drop a repeat sent after a crash between its answer
/// and our record. When a routed lead's delivery dies and its broker has <see cref="Broker.FailoverOnDead"/>, the lead is
/// taken back from that broker (its routing log row removed, so the broker's caps no longer count it; the dead delivery
/// and its attempts stay as the record) and routed again with that broker sitting out.
/// </summary>
public sealed class DispatchDeliveries(
    IDbContextFactory<LeadRouterDb> dbs, Func<BrokerPushClient> pushClient, BrokerSecrets secrets, RouteLeads router,
    IOptions<BrokersOptions> options, TimeProvider clock, ILogger<DispatchDeliveries> log)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Claims and sends one batch of due deliveries; returns how many were attempted.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        var o = options.Value;
        IReadOnlyList<Delivery> claimed;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            claimed = await DeliveryQueue.ClaimDueAsync(db, clock.GetUtcNow(), TimeSpan.FromSeconds(o.LeaseSeconds), o.DispatchBatchSize, null, ct);
        await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = o.DispatchParallelism, CancellationToken = ct },
            async (d, token) => await AttemptAsync(d, token));
        return claimed.Count;
    }

    /// <summary>Runs batches until nothing is due now; returns how many attempts were made.</summary>
    public async Task<int> DrainAsync(CancellationToken ct)
    {
        var total = 0;
        for (int n; (n = await RunDueAsync(ct)) > 0;) total += n;
        return total;
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
            return claimed.Count == 1 ? await AttemptAsync(claimed[0], ct) : await LastAttemptAsync(id, ct);
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
        var answer = await pushClient().SendAsync(Message(broker, webhookId, Body(sample, "TEST", test: true)), ct);
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

    async Task<PushAttemptDto> AttemptAsync(Delivery d, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var broker = await db.Brokers.AsNoTracking().SingleAsync(b => b.Id == d.BrokerId, ct);
        var lead = await db.Leads.AsNoTracking().Include(l => l.Source).SingleAsync(l => l.Id == d.LeadId, ct);
        var attempt = d.Attempts + 1;
        var rules = options.Value.Rules;

        PushAnswer answer;
        AttemptDecision decision;
        if (broker.EndpointUrl is null || broker.DeletedAt is not null)
        {
            answer = new PushAnswer(null, null, null, 0, broker.DeletedAt is not null ? "The broker was deleted." : "The broker has no delivery endpoint.");
            decision = new DeadAttempt();
        }
        else
        {
            answer = await pushClient().SendAsync(Message(broker, d.WebhookId, Body(lead, lead.Source?.Name, test: false)), ct);
            decision = DeliveryPolicy.Decide(attempt, answer.HttpStatus, answer.RetryAfter, rules, clock.GetUtcNow(), Random.Shared.NextDouble());
        }

        var now = clock.GetUtcNow();
        var (status, next) = decision switch
        {
            DeliveredAttempt => (DeliveryStatus.Delivered, (DateTimeOffset?)null),
            RejectedAttempt => (DeliveryStatus.Rejected, null),
            RetryAttempt r => (DeliveryStatus.Pending, r.At),
            DeadAttempt => (DeliveryStatus.Dead, null),
            _ => throw new InvalidOperationException($"Unknown attempt decision {decision.GetType().Name}."),
        };

        // The statements that update the broker report's rollups (the attempt's log row, then the delivery's outcome) come
        // last, so the rollup rows they lock are held only until the commit; a broker's failure count is kept first on
        // success (a no-op unless it had failures) and last on failure.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var token = d.LeaseToken;
        var error = answer.Error ?? (decision is DeliveredAttempt ? null : $"HTTP {answer.HttpStatus}");
        if (!decision.Failed)
            await db.Brokers.Where(b => b.Id == d.BrokerId && b.ConsecutiveFailures != 0).ExecuteUpdateAsync(s => s.SetProperty(b => b.ConsecutiveFailures, 0), ct);
        db.PushLogs.Add(new PushLog
        {
            DeliveryId = d.Id,
            BrokerId = d.BrokerId,
            LeadId = d.LeadId,
            Attempt = attempt,
            Status = status,
            HttpStatus = answer.HttpStatus,
            ResponseExcerpt = answer.Excerpt,
            DurationMs = answer.DurationMs,
            Error = answer.Error,
            At = now,
        });
        await db.SaveChangesAsync(ct);
        var recorded = await db.Deliveries.Where(x => x.Id == d.Id && x.LeaseToken == token && x.Status == DeliveryStatus.Pending)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Attempts, attempt)
                .SetProperty(x => x.Status, status)
                .SetProperty(x => x.NextAttemptAt, next ?? d.NextAttemptAt)
                .SetProperty(x => x.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(x => x.LeaseToken, (string?)null)
                .SetProperty(x => x.CompletedAt, next is null ? now : null)
                .SetProperty(x => x.LastHttpStatus, answer.HttpStatus)
                .SetProperty(x => x.LastError, error), ct);
        if (recorded == 0)
            log.LogWarning("Delivery {DeliveryId} lost its lease before attempt {Attempt} was recorded; the attempt is logged only", d.Id, attempt);

        if (decision.Failed)
        {
            await db.Brokers.Where(b => b.Id == d.BrokerId).ExecuteUpdateAsync(s => s.SetProperty(b => b.ConsecutiveFailures, b => b.ConsecutiveFailures + 1), ct);
            var failures = await db.Brokers.Where(b => b.Id == d.BrokerId).Select(b => b.ConsecutiveFailures).SingleAsync(ct);
            if (DeliveryPolicy.ShouldPause(failures, rules)
                && await db.Brokers.Where(b => b.Id == d.BrokerId && b.Active && b.PausedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(b => b.Active, false).SetProperty(b => b.PausedAt, now), ct) == 1)
                log.LogError("Broker {Broker} ({BrokerId}) paused after {Failures} failed pushes in a row; set it active again once its endpoint works",
                    broker.Name, broker.Id, failures);
        }

        await tx.CommitAsync(ct);

        if (status == DeliveryStatus.Dead && recorded == 1)
        {
            log.LogWarning("Delivery {DeliveryId} of lead {LeadId} to broker {BrokerId} is dead after {Attempt} attempts: {Error}", d.Id, d.LeadId, d.BrokerId, attempt, error);
            if (broker.FailoverOnDead && d.Trigger == DeliveryTrigger.Routing) await FailoverAsync(d, broker.Name, ct);
        }
        return new PushAttemptDto(d.Id, d.WebhookId, attempt, status, answer.HttpStatus, answer.Excerpt, answer.DurationMs, answer.Error, next);
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

    PushMessage Message(Broker broker, string webhookId, string body) => new(
        new Uri(broker.EndpointUrl!), broker.EndpointMethod, BrokerApiConfig.HeadersOf(broker), broker.ApiKeyHeader ?? BrokerApiConfig.DefaultApiKeyHeader,
        broker.ApiKeyProtected is { } k ? secrets.Unprotect(k) : null, webhookId,
        broker.SigningSecretProtected is { } s ? secrets.Unprotect(s) : throw new InvalidOperationException($"Broker {broker.Id} has no signing secret."),
        body);

    /// <summary>The lead as the receiver gets it (camelCase JSON; attributes as an object).</summary>
    internal static string Body(Lead lead, string? source, bool test)
    {
        var node = new JsonObject
        {
            ["id"] = lead.Id,
            ["externalId"] = lead.ExternalId,
            ["name"] = lead.Name,
            ["email"] = lead.Email,
            ["phone"] = lead.Phone,
            ["company"] = lead.Company,
            ["address"] = lead.Address,
            ["city"] = lead.City,
            ["country"] = lead.Country,
            ["amount"] = lead.Amount,
            ["grade"] = lead.Grade,
            ["score"] = lead.Score,
            ["source"] = source,
            ["createdAt"] = lead.CreatedAt,
            ["attributes"] = lead.Attributes is { } a ? JsonNode.Parse(a) : null,
        };
        if (test) node["test"] = true;
        return node.ToJsonString(Json);
    }
}
