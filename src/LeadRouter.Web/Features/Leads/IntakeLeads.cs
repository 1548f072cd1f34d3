using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Platform;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Leads;

/// <summary>What happened to one lead of an intake call.</summary>
/// <param name="Index">Its position in the request (0 for a single lead).</param>
/// <param name="LeadId">The stored lead (the existing one for a duplicate).</param>
/// <param name="Duplicate">True when a lead with the same identity (external id, else e-mail, else phone) already existed.</param>
/// <param name="Outcome"><c>routed</c> (to a broker), <c>assigned</c> (to an agent), <c>unrouted</c> (waiting for a broker, see
/// <paramref name="Reason"/>), <c>waiting</c> (in the pool, no owner yet).</param>
/// <param name="BrokerId">The broker that has the lead, or null.</param>
/// <param name="Broker">That broker's name, or null.</param>
/// <param name="AgentId">The agent who has the lead, or null.</param>
/// <param name="Reason">Why no broker took it (for <c>unrouted</c>), else null.</param>
public sealed record IntakeLeadOutcome(int Index, long LeadId, bool Duplicate, string Outcome, long? BrokerId, string? Broker, long? AgentId, string? Reason);

/// <summary>
/// The answer of <c>POST /api/v1/leads</c>: the import the leads belong to (the caller's intake import of the UTC day),
/// this call's accepted and duplicate counts, and every lead in request order.
/// </summary>
public sealed record IntakeResult(long? ImportId, int Accepted, int Duplicates, IReadOnlyList<IntakeLeadOutcome> Leads);

/// <summary>
/// The lead intake API: one lead or an array as JSON, normalised by the file importer's own normaliser (e-mail check,
/// E.164 phones, ISO countries, amounts; <see cref="LeadRows.Normalize"/>), so an API lead and a file row can never
/// disagree; then written by the <see cref="IntakeWriter"/>'s group commit (global de-duplication, routing of
/// broker-routed sources in the same transaction, assignment of pooled sources). Each lead is one row whose columns
/// are the field names; other fields and <c>attributes</c> become attributes. Any invalid lead rejects the whole call
/// (400 naming <c>[index].field</c>) and nothing is stored.
/// </summary>
public sealed class IntakeLeads(IntakeWriter writer)
{
    const int MaxLeads = 10_000;
    const int MaxSourceLength = 200;

    /// <summary>JSON field → import field (the header written for it).</summary>
    static readonly Dictionary<string, string> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["externalId"] = "externalid",
        ["id"] = "externalid",
        ["name"] = "name",
        ["firstName"] = "firstname",
        ["lastName"] = "lastname",
        ["email"] = "email",
        ["phone"] = "phone",
        ["company"] = "company",
        ["address"] = "address",
        ["city"] = "city",
        ["country"] = "country",
        ["amount"] = "amount",
        ["grade"] = "grade",
        ["score"] = "score",
        ["source"] = "source",
    };

    /// <summary>Validates, normalises and writes one call; answers once its leads are committed.</summary>
    /// <exception cref="InputException">The body is not a lead or an array of leads, or a lead is invalid (nothing stored).</exception>
    public async Task<IntakeResult> RunAsync(JsonElement body, string? defaultRegion, string? importedBy, CancellationToken ct)
    {
        var items = body.ValueKind switch
        {
            JsonValueKind.Object => [body],
            JsonValueKind.Array => body.EnumerateArray().ToList(),
            _ => throw new InputException("body", "A lead (JSON object) or an array of leads is expected."),
        };
        if (items.Count == 0) throw new InputException("body", "The array has no leads.");
        if (items.Count > MaxLeads) throw new InputException("body", $"At most {MaxLeads} leads per call; use an import for more.");

        var errors = new Dictionary<string, string[]>();
        var rows = new List<Dictionary<string, string>>(items.Count);
        var columns = new List<string>();
        var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Column(string name) { if (known.Add(name)) columns.Add(name); }
        Column("source");
        for (var i = 0; i < items.Count; i++)
        {
            var row = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            rows.Add(row);
            if (items[i].ValueKind != JsonValueKind.Object) { errors[$"[{i}]"] = ["A lead must be a JSON object."]; continue; }
            foreach (var p in items[i].EnumerateObject())
            {
                if (p.Name.Equals("attributes", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var a in p.Value.EnumerateObject())
                        if (Text(a.Value, out var v)) { if (v is not null) { row[a.Name] = v; Column(a.Name); } }
                        else errors[$"[{i}].attributes.{a.Name}"] = ["An attribute must be a string, number or boolean."];
                    continue;
                }
                var header = Fields.TryGetValue(p.Name, out var field) ? field : p.Name;
                if (!Text(p.Value, out var value)) errors[$"[{i}].{p.Name}"] = ["Must be a string, number or boolean."];
                else if (value is not null) { row[header] = value; Column(header); }
            }
            if (row.Count == 0 && !errors.Keys.Any(k => k.StartsWith($"[{i}]", StringComparison.Ordinal)))
                errors[$"[{i}]"] = ["The lead has no values."];
        }
        if (errors.Count > 0) throw new InputException(errors);

        var options = new ImportOptions
        {
            FileName = "api",
            SourceColumn = "source",
            DefaultRegion = defaultRegion,
            ImportedBy = importedBy,
            Map = Fields.Values.Distinct().Where(f => f != "source" && known.Contains(f)).ToDictionary(f => f, f => f, StringComparer.OrdinalIgnoreCase),
        };
        var table = rows.Select(row => columns.Select(c => row.TryGetValue(c, out var v) ? v : null).ToArray()).ToList();
        NormalizedRows normalized;
        try
        {
            normalized = LeadRows.Normalize(columns, table, options);
        }
        catch (ImportInputException e)
        {
            throw new InputException("defaultRegion", e.Message);
        }

        var problems = normalized.Errors.GroupBy(e => $"[{e.Row - 2}]{(e.Column is { } c ? "." + JsonName(c) : "")}")
            .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());
        for (var i = 0; i < normalized.Rows.Count; i++)
            if (normalized.Rows[i].Source is { Length: > MaxSourceLength })
                problems[$"[{i}].source"] = [$"A source name has at most {MaxSourceLength} characters."];
        if (problems.Count > 0) throw new InputException(problems);

        return await writer.SubmitAsync(normalized.Rows, normalized.Warnings.Count, importedBy, ct);
    }

    static bool Text(JsonElement v, out string? text)
    {
        text = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!.Replace('\r', ' ').Replace('\n', ' '),
            JsonValueKind.Number => v.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
        return text is not null || v.ValueKind is JsonValueKind.Null;
    }

    static string JsonName(string header) =>
        Fields.FirstOrDefault(f => f.Value.Equals(header, StringComparison.OrdinalIgnoreCase) && f.Key != "id").Key ?? header;

    /// <summary>Maps <c>POST /api/v1/leads</c> (admins; rate limited; <c>Idempotency-Key</c> aware).</summary>
    public static IEndpointRouteBuilder MapLeadIntake(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/leads", PostLeads).WithTags("Leads").RequireAuthorization(Roles.AdminPolicy).RequireRateLimiting(RateLimits.Intake);
        return app;
    }

    /// <summary>
    /// Takes one lead or an array. With an <c>Idempotency-Key</c> header (at most 200 characters) a repeat of the same body
    /// gets the first answer again (header <c>Idempotent-Replayed: true</c>); the same key with another body is 422;
    /// a repeat while the first call still runs is 409.
    /// </summary>
    static async Task<IResult> PostLeads(HttpRequest request, ClaimsPrincipal user, string? defaultRegion, IntakeLeads intake,
        IdempotentIntake idempotency, IOptions<JsonOptions> json, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new InputException("body", $"Not valid JSON: {e.Message}"); }
        using var _ = doc;

        async Task<string> RunAsync() => JsonSerializer.Serialize(
            await intake.RunAsync(doc.RootElement, defaultRegion, user.Identity?.Name, ct), json.Value.SerializerOptions);

        var key = request.Headers["Idempotency-Key"].ToString();
        if (key.Length == 0) return Results.Text(await RunAsync(), "application/json", Encoding.UTF8, StatusCodes.Status200OK);
        if (key.Length > 200) throw new InputException("Idempotency-Key", "At most 200 characters.");

        var hash = Convert.ToHexString(SHA256.HashData(bytes));
        var claim = await idempotency.BeginAsync($"{user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.Identity?.Name}:{key}", hash, ct);
        switch (claim)
        {
            case IdempotentIntake.Replay r:
                request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
                return Results.Text(r.Response, "application/json", Encoding.UTF8, r.StatusCode);
            case IdempotentIntake.Mismatch:
                return TypedResults.Problem("This Idempotency-Key was used with a different request body.", statusCode: StatusCodes.Status422UnprocessableEntity);
            case IdempotentIntake.InProgress:
                return TypedResults.Problem("A request with this Idempotency-Key is still being processed; retry shortly.", statusCode: StatusCodes.Status409Conflict);
            case IdempotentIntake.Started s:
                string answer;
                try { answer = await RunAsync(); }
                catch
                {
                    await idempotency.AbandonAsync(s.Id, CancellationToken.None);
                    throw;
                }
                await idempotency.CompleteAsync(s.Id, StatusCodes.Status200OK, answer, CancellationToken.None);
                return Results.Text(answer, "application/json", Encoding.UTF8, StatusCodes.Status200OK);
            default:
                throw new InvalidOperationException($"Unknown idempotency claim {claim.GetType().Name}.");
        }
    }
}

/// <summary>
/// Stores intake answers by <c>Idempotency-Key</c> (unique in the database, so two nodes cannot both run the same key).
/// A call reserves its key first, runs, then stores its answer; a failed call frees the key. A reservation left by a
/// crashed call expires after <see cref="Abandoned"/> (the leads it may have stored are then found as duplicates).
/// </summary>
public sealed class IdempotentIntake(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(5);

    public abstract record Claim;
    public sealed record Started(long Id) : Claim;
    public sealed record Replay(int StatusCode, string Response) : Claim;
    public sealed record Mismatch : Claim;
    public sealed record InProgress : Claim;

    public async Task<Claim> BeginAsync(string key, string hash, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        for (var attempt = 0; ; attempt++)
        {
            var now = clock.GetUtcNow();
            var existing = await db.IntakeRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Key == key, ct);
            if (existing is not null)
            {
                if (existing.RequestHash != hash) return new Mismatch();
                if (existing.Response is { } response) return new Replay(existing.StatusCode ?? 200, response);
                if (existing.CreatedAt > now - Abandoned) return new InProgress();
                var since = existing.CreatedAt;
                return await db.IntakeRequests.Where(r => r.Id == existing.Id && r.Response == null && r.CreatedAt == since)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, now), ct) == 1 ? new Started(existing.Id) : new InProgress();
            }

            var row = new IntakeRequest { Key = key, RequestHash = hash, CreatedAt = now };
            db.IntakeRequests.Add(row);
            try
            {
                await db.SaveChangesAsync(ct);
                return new Started(row.Id);
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                db.ChangeTracker.Clear(); // another call took the key first: answer as it would
            }
        }
    }

    public async Task CompleteAsync(long id, int statusCode, string response, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.IntakeRequests.Where(r => r.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.StatusCode, statusCode).SetProperty(r => r.Response, response), ct);
    }

    public async Task AbandonAsync(long id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.IntakeRequests.Where(r => r.Id == id && r.Response == null).ExecuteDeleteAsync(ct);
    }
}
