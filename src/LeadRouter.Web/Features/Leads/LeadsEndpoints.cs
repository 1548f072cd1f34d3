using System.Security.Claims;
using LeadRouter.Data;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Agents;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Leads;

/// <summary>Routes of the leads area: imports (multipart upload, same options and report as the CLI) and leads.</summary>
public static class LeadsEndpoints
{
    public static IEndpointRouteBuilder MapLeads(this IEndpointRouteBuilder app)
    {
        var imports = app.MapGroup("/api/v1/imports").WithTags("Leads").RequireAuthorization(Roles.AdminPolicy);
        imports.MapPost("/", Upload).DisableAntiforgery();
        imports.MapGet("/", (int? page, int? pageSize, LeadQueries q, CancellationToken ct) => q.ImportsAsync(page ?? 1, pageSize ?? 20, ct));

        var leads = app.MapGroup("/api/v1/leads").WithTags("Leads").RequireAuthorization(Roles.StaffPolicy);
        leads.MapGet("/", ListLeads);
        leads.MapPatch("/{id:long}/status", SetStatus);
        IntakeLeads.MapLeadIntake(app);
        return app;
    }

    /// <summary>
    /// Multipart upload: field <c>file</c> plus optional <c>source</c>, <c>sourceColumn</c>, <c>map</c> (<c>field=Header</c>
    /// entries separated by commas or new lines), <c>sheet</c>, <c>defaultRegion</c>, <c>skipInvalid</c>, <c>reserve</c>. 200 with the report
    /// when stored; 400 with the report (every error with row and column) when rejected, nothing stored.
    /// </summary>
    static async Task<Results<Ok<ImportResult>, BadRequest<ImportResult>, ProblemHttpResult>> Upload(
        IFormFile file, [FromForm] string? source, [FromForm] string? sourceColumn, [FromForm] string? map, [FromForm] string? sheet,
        [FromForm] string? defaultRegion, [FromForm] bool? skipInvalid, [FromForm] bool? reserve,
        ClaimsPrincipal user, ImportLeads import, CancellationToken ct)
    {
        var options = new ImportOptions
        {
            FileName = Path.GetFileName(file.FileName),
            Purpose = reserve == true ? ImportPurpose.Reserve : ImportPurpose.Agents,
            Source = source,
            SourceColumn = sourceColumn,
            Map = ImportMaps.Parse(map is null ? [] : map.Split('\n')),
            Sheet = sheet,
            DefaultRegion = defaultRegion,
            SkipInvalid = skipInvalid == true,
            ImportedBy = user.Identity?.Name,
        };
        await using var stream = file.OpenReadStream();
        var result = await import.RunAsync(stream, options, null, ct);
        return result.Report.Stored ? TypedResults.Ok(result) : TypedResults.BadRequest(result);
    }

    static async Task<Ok<Page<LeadDto>>> ListLeads([AsParameters] LeadFilter filter, ClaimsPrincipal user,
        AgentDirectory agents, LeadQueries q, CancellationToken ct)
    {
        if (!user.IsInRole(Roles.Admin))
        {
            // An agent sees only their own leads.
            var agentId = await agents.AgentOfUserAsync(user.FindFirstValue(ClaimTypes.NameIdentifier), ct);
            filter = filter with { AgentId = agentId ?? -1 };
        }

        return TypedResults.Ok(await q.ListAsync(filter, ct));
    }

    /// <summary>An agent changes the status of one of their own leads; an admin of any lead. 404 when not found (or not theirs).</summary>
    static async Task<Results<Ok<StatusChanged>, NotFound>> SetStatus(long id, StatusRequest body, ClaimsPrincipal user,
        AgentDirectory agents, ChangeLeadStatus change, CancellationToken ct)
    {
        long? agentId = null;
        if (!user.IsInRole(Roles.Admin))
            agentId = await agents.AgentOfUserAsync(user.FindFirstValue(ClaimTypes.NameIdentifier), ct) ?? -1;

        return await change.SetAsync(id, body.Status, agentId, user.Identity?.Name, ct) is { } changed
            ? TypedResults.Ok(changed) : TypedResults.NotFound();
    }
}

/// <summary>Body of <c>PATCH /api/v1/leads/{id}/status</c>.</summary>
public sealed record StatusRequest(LeadStatus Status);

/// <summary>Parses <c>field=Header</c> overrides of the header mapping.</summary>
public static class ImportMaps
{
    /// <exception cref="InputException">An entry without <c>=</c>.</exception>
    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string> entries)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in entries.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var kv = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || kv[0].Length == 0 || kv[1].Length == 0)
                throw new InputException("map", $"'{entry}' is not field=Header (e.g. email=E-mail Address).");
            map[kv[0]] = kv[1];
        }

        return map;
    }
}
