using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Web.Features.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>Body of <c>POST /api/crm/assign-lead</c> (seed 003): the lead, and <c>method</c> which must be <c>auto</c>.</summary>
public sealed record AssignLeadRequest(long LeadId, string? Method = "auto");

/// <summary>Answer of <c>POST /api/crm/assign-lead</c>: routed to a broker, or unrouted with the reason.</summary>
public sealed record AssignLeadResponse(long LeadId, bool Routed, long? BrokerId, string? Broker, string? Reason, DateTimeOffset? RetryAt);

/// <summary>Body of <c>POST /api/crm/brokers/push-lead</c> (seed 003).</summary>
public sealed record PushLeadRequest(long LeadId, long BrokerId);

/// <summary>One logged push attempt.</summary>
public sealed record PushLogDto(int Attempt, DeliveryStatus Status, int? HttpStatus, string? ResponseExcerpt, int DurationMs, string? Error, DateTimeOffset At);

/// <summary>A delivery with its attempts.</summary>
public sealed record DeliveryDto(long Id, string WebhookId, long LeadId, long BrokerId, DeliveryTrigger Trigger, DeliveryStatus Status,
    int Attempts, DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, IReadOnlyList<PushLogDto> Log);

/// <summary>Routes of the brokers area under <c>/api/crm</c> (seed 003's paths), admins only.</summary>
public static class BrokersEndpoints
{
    /// <summary>Maps <c>/api/crm/brokers</c> (list, add, change, delete, stats) and <c>/api/crm/assign-lead</c>.</summary>
    public static IEndpointRouteBuilder MapBrokers(this IEndpointRouteBuilder app)
    {
        var crm = app.MapGroup("/api/crm").WithTags("Brokers").RequireAuthorization(Roles.AdminPolicy);
        crm.MapGet("/brokers", (BrokerDirectory brokers, CancellationToken ct) => brokers.ListAsync(ct));
        crm.MapPost("/brokers", AddBroker);
        crm.MapPatch("/brokers/{id:long}", PatchBroker);
        crm.MapDelete("/brokers/{id:long}", DeleteBroker);
        crm.MapGet("/brokers/{id:long}/stats", GetStats);
        crm.MapPost("/assign-lead", AssignLead);
        crm.MapPost("/brokers/upload-api", UploadApi);
        crm.MapGet("/brokers/{id:long}/api-config", GetApiConfig);
        crm.MapPost("/brokers/push-lead", PushLead).RequireRateLimiting(Platform.RateLimits.Push);
        crm.MapPost("/brokers/{id:long}/test-push", TestPush).RequireRateLimiting(Platform.RateLimits.Push);
        crm.MapGet("/brokers/{id:long}/deliveries", ListDeliveries);
        crm.MapGet("/deliveries", DeliveryLogPage);
        app.MapPostbacks();
        app.MapBrokerReports();
        return app;
    }

    /// <summary>Stores a broker's delivery configuration (seed 003's upload); 400 naming each bad field, 404 for no such broker.</summary>
    static async Task<Results<Ok<BrokerApiConfigDto>, NotFound>> UploadApi(BrokerApiConfigRequest body, BrokerApiConfig config, CancellationToken ct) =>
        await config.SetAsync(body, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    static async Task<Results<Ok<BrokerApiConfigDto>, NotFound>> GetApiConfig(long id, BrokerApiConfig config, CancellationToken ct) =>
        await config.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    /// <summary>Pushes a lead to a broker now (a new delivery; a transient failure is retried by the dispatcher).</summary>
    static async Task<Results<Ok<PushAttemptDto>, NotFound>> PushLead(PushLeadRequest body, DispatchDeliveries dispatcher, CancellationToken ct) =>
        await dispatcher.PushNowAsync(body.LeadId, body.BrokerId, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    /// <summary>Sends a sample lead to the broker's endpoint once; not routed, not counted against caps.</summary>
    static async Task<Results<Ok<PushAttemptDto>, NotFound>> TestPush(long id, DispatchDeliveries dispatcher, CancellationToken ct) =>
        await dispatcher.TestPushAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    /// <summary>The broker's latest deliveries (100), newest first, with their attempts.</summary>
    static async Task<Ok<List<DeliveryDto>>> ListDeliveries(long id, IDbContextFactory<LeadRouterDb> dbs, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var deliveries = await db.Deliveries.AsNoTracking().Where(d => d.BrokerId == id).OrderByDescending(d => d.Id).Take(100).ToListAsync(ct);
        var ids = deliveries.Select(d => d.Id).ToList();
        var logs = (await db.PushLogs.AsNoTracking().Where(l => l.DeliveryId != null && ids.Contains(l.DeliveryId.Value)).ToListAsync(ct))
            .ToLookup(l => l.DeliveryId!.Value);
        return TypedResults.Ok(deliveries.Select(d => new DeliveryDto(d.Id, d.WebhookId, d.LeadId, d.BrokerId, d.Trigger, d.Status, d.Attempts,
            d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null, d.CreatedAt, d.CompletedAt,
            logs[d.Id].OrderBy(l => l.Attempt).Select(l => new PushLogDto(l.Attempt, l.Status, l.HttpStatus, l.ResponseExcerpt, l.DurationMs, l.Error, l.At)).ToList())).ToList());
    }

    /// <summary>
    /// The delivery log of every broker, newest first: <c>brokerId</c>, <c>status</c> (pending, delivered, rejected, dead),
    /// <c>from</c> and <c>to</c> (ISO 8601 instants, creation time, <c>to</c> exclusive), <c>page</c> and <c>pageSize</c> (25, at most 200).
    /// </summary>
    static async Task<Ok<DeliveryLogPage>> DeliveryLogPage(long? brokerId, string? status, DateTimeOffset? from, DateTimeOffset? to,
        int? page, int? pageSize, DeliveryLog log, CancellationToken ct)
    {
        DeliveryStatus? parsed = null;
        if (!string.IsNullOrEmpty(status))
            parsed = Enum.TryParse<DeliveryStatus>(status, ignoreCase: true, out var s) && Enum.IsDefined(s) ? s
                : throw new InputException("status", "pending, delivered, rejected or dead.");
        return TypedResults.Ok(await log.ListAsync(new DeliveryLogFilter(brokerId, parsed, from, to), page ?? 1, pageSize ?? 25, ct));
    }

    static async Task<Created<BrokerDto>> AddBroker(NewBroker body, BrokerDirectory brokers, CancellationToken ct)
    {
        var broker = await brokers.AddAsync(body, ct);
        return TypedResults.Created($"/api/crm/brokers/{broker.Id}", broker);
    }

    /// <summary>Partial update: only the fields of <see cref="BrokerChanges"/>; any other field is refused with 400, no change made.</summary>
    static async Task<Results<Ok<BrokerDto>, NotFound>> PatchBroker(long id, JsonElement body, BrokerDirectory brokers, CancellationToken ct) =>
        await brokers.SetAsync(id.ToString(System.Globalization.CultureInfo.InvariantCulture), BrokerPatch.Parse(body), ct) is { } dto
            ? TypedResults.Ok(dto)
            : TypedResults.NotFound();

    static async Task<Results<NoContent, NotFound>> DeleteBroker(long id, BrokerDirectory brokers, CancellationToken ct) =>
        await brokers.DeleteAsync(id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    static async Task<Results<Ok<BrokerStatsDto>, NotFound>> GetStats(long id, BrokerStats stats, CancellationToken ct) =>
        (await stats.GetAsync(id, ct)).SingleOrDefault() is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    /// <summary>Routes one waiting lead now. 404: no such lead; 409: the lead already has an owner (agent or broker).</summary>
    static async Task<Results<Ok<AssignLeadResponse>, NotFound, ProblemHttpResult>> AssignLead(
        AssignLeadRequest body, RouteLeads router, IDbContextFactory<LeadRouterDb> dbs, CancellationToken ct)
    {
        if (!string.Equals(body.Method ?? "auto", "auto", StringComparison.OrdinalIgnoreCase))
            throw new InputException("method", "Only method \"auto\" is supported (route by the broker rules).");
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var lead = await db.Leads.Where(l => l.Id == body.LeadId).Select(l => new { l.AgentId, l.BrokerId }).SingleOrDefaultAsync(ct);
            if (lead is null) return TypedResults.NotFound();
            if (lead.AgentId is not null || lead.BrokerId is not null)
                return TypedResults.Problem(lead.BrokerId is { } b ? $"The lead is already routed to broker {b}." : $"The lead is already assigned to agent {lead.AgentId}.",
                    statusCode: StatusCodes.Status409Conflict, title: "The lead already has an owner.");
        }

        var run = await router.RouteLeadIdsAsync([body.LeadId], RoutingTrigger.Api, ct);
        if (run.Outcomes.SingleOrDefault() is not { } o)
            return TypedResults.Problem("Only leads in status New without an owner are routed.", statusCode: StatusCodes.Status409Conflict,
                title: "The lead is not waiting to be routed.");
        return TypedResults.Ok(new AssignLeadResponse(o.LeadId, o.BrokerId is not null, o.BrokerId, o.Broker, o.Reason, o.RetryAt));
    }
}

/// <summary>
/// Reads a PATCH body into <see cref="BrokerChanges"/> field by field (no mass assignment): only the listed camelCase
/// fields are taken; <c>null</c> empties a clearable field; unknown fields and protected ones (id, secrets, endpoint,
/// timestamps) are refused. Every problem is reported at once, keyed by field.
/// </summary>
static class BrokerPatch
{
    static readonly HashSet<string> Protected = new(
        ["id", "createdAt", "updatedAt", "deletedAt", "apiKey", "apiKeyProtected", "signingSecret", "signingSecretProtected",
         "hasApiKey", "endpoint", "endpointUrl", "endpointMethod", "endpointHeaders"], StringComparer.OrdinalIgnoreCase);

    /// <exception cref="InputException">The body is not an object, or a field is unknown, protected or of the wrong type.</exception>
    public static BrokerChanges Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new InputException("body", "A JSON object of the fields to change is expected.");
        var errors = new Dictionary<string, string[]>();
        var cleared = new HashSet<string>(StringComparer.Ordinal);
        var c = new BrokerChanges();
        foreach (var p in body.EnumerateObject())
        {
            var name = p.Name;
            var v = p.Value;
            if (Protected.Contains(name)) { errors[name] = ["This field cannot be changed here."]; continue; }
            if (v.ValueKind == JsonValueKind.Null)
            {
                if (BrokerChanges.Clearable.Contains(name)) cleared.Add(name);
                else errors[name] = [KnownField(name) ? "This field cannot be emptied." : "Unknown field."];
                continue;
            }

            try
            {
                c = name switch
                {
                    "name" => c with { Name = v.GetString() },
                    "active" => c with { Active = v.GetBoolean() },
                    "priority" => c with { Priority = v.GetInt32() },
                    "weight" => c with { Weight = v.GetInt32() },
                    "countries" => c with { Countries = v.EnumerateArray().Select(x => x.GetString() ?? "").ToList() },
                    "countryWeights" => c with { CountryWeights = v.EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetInt32()) },
                    "minAmount" => c with { MinAmount = v.GetDecimal() },
                    "maxAmount" => c with { MaxAmount = v.GetDecimal() },
                    "currency" => c with { Currency = v.GetString() },
                    "hourCap" => c with { HourCap = v.GetInt32() },
                    "dayCap" => c with { DayCap = v.GetInt32() },
                    "monthCap" => c with { MonthCap = v.GetInt32() },
                    "timeZone" => c with { TimeZone = v.GetString() },
                    "autoPush" => c with { AutoPush = v.GetBoolean() },
                    _ => throw new KeyNotFoundException(),
                };
            }
            catch (KeyNotFoundException) { errors[name] = ["Unknown field."]; }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                errors[name] = ["Wrong type for this field."];
            }
        }

        if (errors.Count > 0) throw new InputException(errors);
        return c with { Cleared = cleared };
    }

    static bool KnownField(string name) => name is "name" or "active" or "priority" or "weight" or "timeZone" or "autoPush";
}
