using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Domain.Postbacks;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Platform;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>A postback as received (JSON body or query string), checked: the lead by id or by external reference.</summary>
public sealed record PostbackInput(long? LeadId, string? ExternalRef, PostbackEvent Event, decimal? Amount, string? Currency,
    string EventId, DateTimeOffset? OccurredAt)
{
    /// <summary>Reads a JSON object body (numbers may also be sent as strings).</summary>
    /// <exception cref="InputException">Not a JSON object, or a field is missing or invalid (every problem at once).</exception>
    public static PostbackInput FromJson(string body)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(body).RootElement; }
        catch (JsonException) { throw new InputException("body", "A JSON object is expected."); }
        if (root.ValueKind != JsonValueKind.Object) throw new InputException("body", "A JSON object is expected.");
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in root.EnumerateObject())
            values[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.Number => p.Value.GetRawText(),
                JsonValueKind.Null => null,
                _ => p.Value.GetRawText(),
            };
        return Parse(name => values.GetValueOrDefault(name));
    }

    /// <summary>Reads the query string of the GET form.</summary>
    public static PostbackInput FromQuery(IQueryCollection query) =>
        Parse(name => query.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null);

    /// <exception cref="InputException">A field is missing or invalid.</exception>
    static PostbackInput Parse(Func<string, string?> get)
    {
        var errors = new Dictionary<string, string[]>();
        string? Text(string name) => get(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        long? leadId = null;
        if (Text("leadId") is { } lid)
        {
            if (long.TryParse(lid, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0) leadId = id;
            else errors["leadId"] = ["A positive whole number is expected."];
        }

        var externalRef = Text("externalRef");
        if (leadId is null && externalRef is null && !errors.ContainsKey("leadId")) errors["leadId"] = ["Give leadId or externalRef."];
        if (externalRef is { Length: > 320 }) errors["externalRef"] = ["At most 320 characters."];

        PostbackEvent kind = default;
        if (Text("event") is not { } ev) errors["event"] = ["Required: accepted, rejected, duplicate, contacted, deposit, converted or lost."];
        else if (!ev.All(char.IsAsciiLetter) || !Enum.TryParse(ev, ignoreCase: true, out kind) || !Enum.IsDefined(kind))
            errors["event"] = [$"'{ev}' is not one of accepted, rejected, duplicate, contacted, deposit, converted, lost."];

        var eventId = Text("eventId");
        if (eventId is null) errors["eventId"] = ["Required: the broker's unique id of this event (repeats are ignored)."];
        else if (eventId.Length > 200) errors["eventId"] = ["At most 200 characters."];

        decimal? amount = null;
        if (Text("amount") is { } a)
        {
            if (decimal.TryParse(a, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var d) && d >= 0) amount = d;
            else errors["amount"] = ["A non-negative number with a decimal point (e.g. 250.00) is expected."];
        }

        string? currency = null;
        if (Text("currency") is { } c)
        {
            currency = Currencies.Normalize(c);
            if (currency is null) errors["currency"] = [$"'{c}' is not an ISO 4217 currency code (e.g. USD, EUR)."];
        }
        else if (amount is not null) errors["currency"] = ["Required with an amount."];

        if (amount is { } am && currency is { } cur && Currencies.ToMinor(am, cur) is null)
            errors["amount"] = [$"{cur} amounts have at most {Currencies.MinorUnits(cur)} decimals."];

        DateTimeOffset? occurredAt = null;
        if (Text("occurredAt") is { } at)
        {
            if (DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) occurredAt = t.ToUniversalTime();
            else errors["occurredAt"] = ["An ISO 8601 time (e.g. 2025-01-06T09:00:00Z) is expected."];
        }

        if (errors.Count > 0) throw new InputException(errors);
        return new PostbackInput(leadId, externalRef, kind, amount, currency, eventId!, occurredAt);
    }
}

/// <summary>The stored postback as answered (also to a repeat of its event id).</summary>
public sealed record PostbackResult(long Id, long BrokerId, string EventId, long LeadId, string Event, decimal? Amount, string? Currency,
    DateTimeOffset OccurredAt, DateTimeOffset ReceivedAt, LeadStatus LeadStatus)
{
    public static PostbackResult From(LeadEvent e) => new(e.Id, e.BrokerId, e.EventId, e.LeadId, e.Event.ToString().ToLowerInvariant(),
        e.AmountMinor is { } m && e.Currency is { } c ? Currencies.FromMinor(m, c) : null, e.Currency, e.OccurredAt, e.ReceivedAt, e.LeadStatusAfter);
}

/// <summary>What became of a postback.</summary>
public abstract record PostbackOutcome
{
    /// <summary>Stored now, or (<paramref name="Replayed"/>) stored before under the same event id.</summary>
    public sealed record Recorded(PostbackResult Result, bool Replayed) : PostbackOutcome;
    /// <summary>No such lead.</summary>
    public sealed record UnknownLead(string Reason) : PostbackOutcome;
    /// <summary>The lead exists but was never routed to this broker.</summary>
    public sealed record NotRouted(string Reason) : PostbackOutcome;
}

/// <summary>How a postback proved it came from the broker.</summary>
public enum PostbackAuth { Token, Signature }

/// <summary>
/// Per-broker postback authentication: a postback token (<c>?token=</c> or header <c>X-Postback-Token</c>; only its
/// SHA-256 is stored, the token is shown once), or a Standard Webhooks signature with the broker's signing secret over
/// the raw body (POST) or the path and query as sent (GET), with a timestamp within five minutes.
/// </summary>
public sealed class PostbackTokens(IDbContextFactory<LeadRouterDb> dbs, BrokerSecrets secrets, TimeProvider clock)
{
    /// <summary>Largest accepted gap between <c>webhook-timestamp</c> and now.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>Makes a new token for the broker (the old one stops working) and returns it; null when there is no such broker.</summary>
    public async Task<string?> IssueAsync(long brokerId, CancellationToken ct)
    {
        var token = "pbt_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await using var db = await dbs.CreateDbContextAsync(ct);
        var hash = Hash(token);
        var now = clock.GetUtcNow();
        var changed = await db.Brokers.Where(b => b.Id == brokerId && b.DeletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.PostbackTokenHash, hash).SetProperty(b => b.UpdatedAt, now), ct);
        return changed == 0 ? null : token;
    }

    /// <summary>How the request proved itself, or null with the reason it did not.</summary>
    public async Task<(PostbackAuth? Auth, string Reason)> AuthenticateAsync(long brokerId, HttpRequest request, string signedContent, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var broker = await db.Brokers.AsNoTracking().Where(b => b.Id == brokerId && b.DeletedAt == null)
            .Select(b => new { b.PostbackTokenHash, b.SigningSecretProtected }).SingleOrDefaultAsync(ct);
        if (broker is null) return (null, "no such broker");

        var token = request.Headers["X-Postback-Token"].FirstOrDefault() ?? request.Query["token"].FirstOrDefault();
        if (!string.IsNullOrEmpty(token))
        {
            if (broker.PostbackTokenHash is null) return (null, "the broker has no postback token");
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(token)), Encoding.ASCII.GetBytes(broker.PostbackTokenHash))
                ? (PostbackAuth.Token, "") : (null, "wrong postback token");
        }

        var id = request.Headers["webhook-id"].FirstOrDefault();
        var ts = request.Headers["webhook-timestamp"].FirstOrDefault();
        var signature = request.Headers["webhook-signature"].FirstOrDefault();
        if (id is null || ts is null || signature is null) return (null, "no postback token and no webhook signature");
        if (broker.SigningSecretProtected is null) return (null, "the broker has no signing secret");
        if (!long.TryParse(ts, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return (null, "bad webhook-timestamp");
        var sent = DateTimeOffset.FromUnixTimeSeconds(Math.Min(seconds, 253402300799));
        if ((clock.GetUtcNow() - sent).Duration() > Tolerance) return (null, "webhook-timestamp outside five minutes");
        return WebhookSignature.Verify(secrets.Unprotect(broker.SigningSecretProtected), id, seconds, signedContent, signature)
            ? (PostbackAuth.Signature, "") : (null, "wrong webhook signature");
    }

    static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>
/// Stores a broker's postback with its lead, once per (broker, event id): finds the lead (by id or external reference),
/// checks it was routed (or pushed) to this broker, applies <see cref="PostbackRules"/> (status history, first deposit,
/// conversion time) and writes the event, all in one transaction.
/// </summary>
public sealed class ReceivePostback(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    public async Task<PostbackOutcome> RunAsync(long brokerId, PostbackInput input, PostbackAuth auth, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await FindAsync(db, brokerId, input.EventId, ct) is { } first) return new PostbackOutcome.Recorded(first, true);

        var candidates = input.LeadId is { } leadId
            ? await db.Leads.Where(l => l.Id == leadId).Select(l => new { l.Id, l.BrokerId }).ToListAsync(ct)
            : await db.Leads.Where(l => l.ExternalId == input.ExternalRef).Select(l => new { l.Id, l.BrokerId }).ToListAsync(ct);
        var lead = candidates.FirstOrDefault(l => l.BrokerId == brokerId) ?? candidates.FirstOrDefault();
        var named = input.LeadId is { } n ? $"id {n}" : $"external reference '{input.ExternalRef}'";
        if (lead is null) return new PostbackOutcome.UnknownLead($"No lead with {named}.");
        var routedHere = lead.BrokerId == brokerId
            || await db.BrokerAssignments.AnyAsync(a => a.LeadId == lead.Id && a.BrokerId == brokerId, ct)
            || await db.Deliveries.AnyAsync(d => d.LeadId == lead.Id && d.BrokerId == brokerId, ct);
        if (!routedHere)
            return new PostbackOutcome.NotRouted(lead.BrokerId is null
                ? $"Lead {lead.Id} was never routed to a broker."
                : $"Lead {lead.Id} was routed to another broker, not to broker {brokerId}.");

        var now = clock.GetUtcNow();
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var row = await db.Leads.SingleAsync(l => l.Id == lead.Id, ct);
            var outcome = await db.LeadOutcomes.SingleOrDefaultAsync(o => o.LeadId == lead.Id, ct);
            var minor = input.Amount is { } amount && input.Currency is { } currency ? Currencies.ToMinor(amount, currency) : null;
            var effect = PostbackRules.Decide((OutcomeKind)input.Event, (LeadStage)row.Status, minor is not null,
                outcome?.FirstDepositAt is not null, outcome?.ConvertedAt is not null);
            var occurredAt = input.OccurredAt ?? now;
            if (effect.NewStatus is { } to)
            {
                db.LeadStatusChanges.Add(new LeadStatusChange
                { LeadId = row.Id, From = row.Status, To = (LeadStatus)to, ChangedAt = now, ChangedBy = $"broker:{brokerId}" });
                row.Status = (LeadStatus)to;
                row.StatusChangedAt = now;
            }

            if (outcome is null)
            {
                outcome = new LeadOutcome { LeadId = row.Id, BrokerId = brokerId };
                db.LeadOutcomes.Add(outcome);
            }

            outcome.UpdatedAt = now;
            if (effect.SetsFirstDeposit)
            {
                outcome.FirstDepositMinor = minor;
                outcome.FirstDepositCurrency = input.Currency;
                outcome.FirstDepositAt = occurredAt;
            }

            if (effect.SetsConvertedAt) outcome.ConvertedAt = occurredAt;
            var ev = new LeadEvent
            {
                BrokerId = brokerId,
                EventId = input.EventId,
                LeadId = row.Id,
                Event = input.Event,
                AmountMinor = minor,
                Currency = input.Currency,
                OccurredAt = occurredAt,
                ReceivedAt = now,
                LeadStatusAfter = row.Status,
                AuthMethod = auth.ToString().ToLowerInvariant(),
            };
            db.LeadEvents.Add(ev);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return new PostbackOutcome.Recorded(PostbackResult.From(ev), false);
        }
        catch (DbUpdateException)
        {
            // A concurrent repeat of the same event id won the unique index: answer with its row.
            await using var again = await dbs.CreateDbContextAsync(ct);
            if (await FindAsync(again, brokerId, input.EventId, ct) is { } winner) return new PostbackOutcome.Recorded(winner, true);
            throw;
        }
    }

    static async Task<PostbackResult?> FindAsync(LeadRouterDb db, long brokerId, string eventId, CancellationToken ct) =>
        await db.LeadEvents.AsNoTracking().SingleOrDefaultAsync(e => e.BrokerId == brokerId && e.EventId == eventId, ct) is { } e
            ? PostbackResult.From(e) : null;
}

/// <summary>Routes of postbacks (<c>/api/v1/postbacks/{brokerId}</c>, brokers authenticate themselves) and the lead timeline.</summary>
public static class PostbacksEndpoints
{
    const int MaxBody = 64 * 1024;

    public static IEndpointRouteBuilder MapPostbacks(this IEndpointRouteBuilder app)
    {
        var postbacks = app.MapGroup("/api/v1/postbacks").WithTags("Postbacks").AllowAnonymous().RequireRateLimiting(RateLimits.Postbacks);
        postbacks.MapPost("/{brokerId:long}", Post).DisableAntiforgery();
        postbacks.MapGet("/{brokerId:long}", Get);
        app.MapPost("/api/crm/brokers/{id:long}/postback-token", IssueToken).WithTags("Brokers").RequireAuthorization(Roles.AdminPolicy);
        app.MapGet("/api/v1/leads/{id:long}/timeline", Timeline).WithTags("Leads").RequireAuthorization(Roles.AdminPolicy);
        return app;
    }

    /// <summary>The broker's new postback token, shown once (the previous one stops working).</summary>
    static async Task<Results<Ok<PostbackTokenDto>, NotFound>> IssueToken(long id, PostbackTokens tokens, CancellationToken ct) =>
        await tokens.IssueAsync(id, ct) is { } token ? TypedResults.Ok(new PostbackTokenDto(id, token)) : TypedResults.NotFound();

    static async Task<Results<Ok<IReadOnlyList<TimelineEntry>>, NotFound>> Timeline(long id, LeadTimeline timeline, CancellationToken ct) =>
        await timeline.GetAsync(id, ct) is { } entries ? TypedResults.Ok(entries) : TypedResults.NotFound();

    static async Task<Results<Ok<PostbackResult>, NotFound<ProblemDetails>, Conflict<ProblemDetails>, UnauthorizedHttpResult>> Post(
        long brokerId, HttpRequest request, PostbackTokens tokens, ReceivePostback receive, ILogger<ReceivePostback> log, CancellationToken ct)
    {
        if (request.ContentLength > MaxBody) throw new InputException("body", "A postback body is at most 64 KB.");
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var buffer = new char[MaxBody + 1];
        var length = 0;
        for (int read; length < buffer.Length && (read = await reader.ReadAsync(buffer.AsMemory(length), ct)) > 0;) length += read;
        if (length > MaxBody) throw new InputException("body", "A postback body is at most 64 KB.");
        var body = new string(buffer, 0, length);
        var (auth, reason) = await tokens.AuthenticateAsync(brokerId, request, body, ct);
        if (auth is not { } how) return Refuse(log, brokerId, request, reason);
        return Answer(await receive.RunAsync(brokerId, PostbackInput.FromJson(body), how, ct), request.HttpContext.Response);
    }

    static async Task<Results<Ok<PostbackResult>, NotFound<ProblemDetails>, Conflict<ProblemDetails>, UnauthorizedHttpResult>> Get(
        long brokerId, HttpRequest request, PostbackTokens tokens, ReceivePostback receive, ILogger<ReceivePostback> log, CancellationToken ct)
    {
        var (auth, reason) = await tokens.AuthenticateAsync(brokerId, request, request.GetEncodedPathAndQuery(), ct);
        if (auth is not { } how) return Refuse(log, brokerId, request, reason);
        return Answer(await receive.RunAsync(brokerId, PostbackInput.FromQuery(request.Query), how, ct), request.HttpContext.Response);
    }

    static UnauthorizedHttpResult Refuse(ILogger log, long brokerId, HttpRequest request, string reason)
    {
        log.LogWarning("Refused postback for broker {BrokerId} from {RemoteAddress}: {Reason}", brokerId, request.HttpContext.Connection.RemoteIpAddress, reason);
        return TypedResults.Unauthorized();
    }

    static Results<Ok<PostbackResult>, NotFound<ProblemDetails>, Conflict<ProblemDetails>, UnauthorizedHttpResult> Answer(PostbackOutcome outcome, HttpResponse response)
    {
        switch (outcome)
        {
            case PostbackOutcome.Recorded r:
                if (r.Replayed) response.Headers["Idempotent-Replayed"] = "true";
                return TypedResults.Ok(r.Result);
            case PostbackOutcome.UnknownLead u:
                return TypedResults.NotFound(new ProblemDetails { Status = 404, Title = "Unknown lead.", Detail = u.Reason });
            case PostbackOutcome.NotRouted n:
                return TypedResults.Conflict(new ProblemDetails { Status = 409, Title = "The lead was not routed to this broker.", Detail = n.Reason });
            default:
                throw new InvalidOperationException($"Unexpected postback outcome {outcome}.");
        }
    }
}

/// <summary>A broker's new postback token (shown once).</summary>
public sealed record PostbackTokenDto(long BrokerId, string Token);
