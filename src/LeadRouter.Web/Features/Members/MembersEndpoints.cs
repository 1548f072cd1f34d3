using System.Security.Claims;
using System.Text.Json.Serialization;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Leads;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LeadRouter.Web.Features.Members;

/// <summary>
/// Routes of the members area: <c>/api/v1/members</c>, tiers, runs and files (camelCase, admins), and seed 002's routes
/// under <c>/api/admin/leads</c> (admins) and <c>/api/users/leads</c> (members) with the seed's snake_case JSON.
/// </summary>
public static class MembersEndpoints
{
    public static IEndpointRouteBuilder MapMembers(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Members").RequireAuthorization(Roles.AdminPolicy);
        api.MapGet("/members", (MemberDirectory members, CancellationToken ct) => members.ListAsync(ct));
        api.MapGet("/members/{member}", GetMember);
        api.MapPost("/members", CreateMember);
        api.MapPatch("/members/{member}", (string member, MemberChanges body, MemberDirectory members, CancellationToken ct) =>
            members.SetAsync(member, body, ct));
        api.MapDelete("/members/{member}", DeleteMember);
        api.MapGet("/members/{member}/files", MemberFilesOf);
        api.MapGet("/overview", (DistributionOverview overview, CancellationToken ct) => overview.GetAsync(ct));
        api.MapGet("/schedules", (ScheduleDirectory schedules, CancellationToken ct) => schedules.ListAsync(ct));
        api.MapGet("/schedules/history", (long? scheduleId, int? limit, ScheduleDirectory schedules, CancellationToken ct) =>
            schedules.HistoryAsync(scheduleId, limit ?? 20, ct));
        api.MapGet("/schedules/{schedule}", GetSchedule);
        api.MapPost("/schedules", CreateSchedule);
        api.MapPatch("/schedules/{schedule}", SetSchedule);
        api.MapDelete("/schedules/{schedule}", async Task<Results<NoContent, NotFound>> (string schedule, ScheduleDirectory schedules, CancellationToken ct) =>
            await schedules.DeleteAsync(schedule, ct) ? TypedResults.NoContent() : TypedResults.NotFound());
        api.MapGet("/tiers", (MemberDirectory members, CancellationToken ct) => members.TiersAsync(ct));
        api.MapGet("/distributions", (int? page, int? limit, DistributionQueries q, CancellationToken ct) => q.ListAsync(page ?? 1, limit ?? 20, ct));
        api.MapPost("/distributions/{importId:long}/run", RunImport);
        api.MapPost("/distributions/scheduled-run", async (ClaimsPrincipal user, RunDistribution runs, CancellationToken ct) =>
            TypedResults.Ok(await runs.RunScheduledAsync(user.Identity?.Name, ct)));

        var admin = app.MapGroup("/api/admin/leads").WithTags("Seed 002 compatibility").RequireAuthorization(Roles.AdminPolicy);
        admin.MapPost("/upload", Upload).DisableAntiforgery();
        admin.MapGet("/distributions", SeedDistributions);
        admin.MapPost("/distribute/{distribution_id:long}", SeedDistribute);
        admin.MapGet("/overview", (DistributionOverview overview, CancellationToken ct) => overview.GetAsync(ct));

        var users = app.MapGroup("/api/users/leads").WithTags("Seed 002 compatibility").RequireAuthorization(p => p.RequireRole(Roles.Member));
        users.MapGet("/", MyFiles);
        users.MapGet("/download/{file_id:long}", Download);
        return app;
    }

    static async Task<Results<Ok<MemberDto>, NotFound>> GetMember(string member, MemberDirectory members, CancellationToken ct) =>
        await members.GetAsync(member, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    static async Task<Created<MemberDto>> CreateMember(NewMember body, MemberDirectory members, CancellationToken ct)
    {
        var dto = await members.AddAsync(body, ct);
        return TypedResults.Created($"/api/v1/members/{dto.Id}", dto);
    }

    static async Task<Results<Ok<ScheduleDto>, NotFound>> GetSchedule(string schedule, ScheduleDirectory schedules, CancellationToken ct) =>
        await schedules.GetAsync(schedule, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    /// <summary>201 with the schedule and its next run; 400 listing every problem (name taken, bad time or day).</summary>
    static async Task<Created<ScheduleDto>> CreateSchedule(NewSchedule body, ScheduleDirectory schedules, CancellationToken ct)
    {
        var dto = await schedules.AddAsync(body, ct);
        return TypedResults.Created($"/api/v1/schedules/{dto.Id}", dto);
    }

    static async Task<Results<Ok<ScheduleDto>, NotFound>> SetSchedule(string schedule, ScheduleChanges body, ScheduleDirectory schedules, CancellationToken ct) =>
        await schedules.SetAsync(schedule, body, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    static async Task<Results<NoContent, NotFound>> DeleteMember(string member, MemberDirectory members, CancellationToken ct) =>
        await members.DeleteAsync(member, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    static async Task<Results<Ok<MemberFilePage>, NotFound>> MemberFilesOf(string member, int? page, int? limit, MemberFiles files, CancellationToken ct) =>
        await files.MemberIdAsync(member, ct) is { } id ? TypedResults.Ok(await files.ListAsync(id, page ?? 1, limit ?? 20, ct)) : TypedResults.NotFound();

    static async Task<Results<Ok<DistributionReport>, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> RunImport(
        long importId, ClaimsPrincipal user, RunDistribution runs, CancellationToken ct) =>
        await runs.RunImportAsync(importId, user.Identity?.Name, ct) switch
        {
            DistributionOutcome.Ran ran => TypedResults.Ok(ran.Report),
            DistributionOutcome.UnknownImport u => TypedResults.NotFound(new ProblemDetails { Status = 404, Title = u.Message }),
            DistributionOutcome.Conflict c => TypedResults.Conflict(new ProblemDetails { Status = 409, Title = c.Message }),
            _ => throw new InvalidOperationException("Unknown outcome."),
        };

    /// <summary>Seed 002's upload answer.</summary>
    public sealed record UploadResponse(
        [property: JsonPropertyName("distribution_id")] long DistributionId,
        [property: JsonPropertyName("total_leads")] int TotalLeads,
        [property: JsonPropertyName("eligible_members")] int EligibleMembers,
        [property: JsonPropertyName("estimated_weeks")] int EstimatedWeeks,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("duplicates")] int Duplicates);

    /// <summary>
    /// Seed 002: multipart field <c>csv_file</c>, required columns Name, Email, Address. 200 with the distribution (the
    /// import, its run queued); 400 listing every problem with its row number, nothing stored.
    /// </summary>
    static async Task<Results<Ok<UploadResponse>, BadRequest<ImportResult>>> Upload(
        [FromForm(Name = "csv_file")] IFormFile csvFile, ClaimsPrincipal user, ImportLeads import, RunDistribution runs,
        DistributionOverview overview, CancellationToken ct)
    {
        var options = new ImportOptions
        {
            FileName = Path.GetFileName(csvFile.FileName),
            Purpose = ImportPurpose.Members,
            ImportedBy = user.Identity?.Name,
            RequiredColumns = ["Name", "Email", "Address"],
        };
        await using var stream = csvFile.OpenReadStream();
        var result = await import.RunAsync(stream, options, null, ct);
        if (!result.Report.Stored || result.Report.ImportId is not { } importId) return TypedResults.BadRequest(result);
        await runs.QueueAsync(importId, user.Identity?.Name, ct);
        var estimate = await overview.EstimateAsync(ct);
        return TypedResults.Ok(new UploadResponse(importId, result.Report.Accepted, estimate.EligibleMembers, estimate.EstimatedWeeks, "queued",
            result.Report.Duplicates));
    }

    static async Task<IResult> SeedDistributions(int? page, int? limit, DistributionQueries q, CancellationToken ct)
    {
        var p = await q.ListAsync(page ?? 1, limit ?? 20, ct);
        return Results.Ok(new Dictionary<string, object?>
        {
            ["distributions"] = p.Distributions.Select(d => new Dictionary<string, object?>
            {
                ["distribution_id"] = d.ImportId,
                ["run_id"] = d.RunId,
                ["filename"] = d.FileName,
                ["total_leads"] = d.TotalLeads,
                ["status"] = d.Status.ToString().ToLowerInvariant(),
                ["csv_status"] = d.ImportStatus.ToString().ToLowerInvariant(),
                ["uploaded_by"] = d.UploadedBy,
                ["uploaded_at"] = d.UploadedAt,
                ["processing_started_at"] = d.ProcessingStartedAt,
                ["processing_completed_at"] = d.ProcessingCompletedAt,
                ["distributions_made"] = d.SharesMade,
                ["members_served"] = d.MembersServed,
                ["error"] = d.Error,
                ["warning"] = d.Warning,
            }).ToList(),
            ["total_count"] = p.TotalCount,
            ["page"] = p.Page,
            ["limit"] = p.Limit,
            ["total_pages"] = p.TotalPages,
        });
    }

    /// <summary>Seed 002: runs the distribution; 404 unknown, 409 when it already completed, 500 with the error when it failed.</summary>
    static async Task<IResult> SeedDistribute(long distribution_id, ClaimsPrincipal user, RunDistribution runs, CancellationToken ct)
    {
        switch (await runs.RunImportAsync(distribution_id, user.Identity?.Name, ct))
        {
            case DistributionOutcome.Ran { Report: var r } when r.Status == Data.Members.DistributionRunStatus.Completed:
                return Results.Ok(new Dictionary<string, object?>
                {
                    ["message"] = r.Warning is null ? "Lead distribution completed successfully" : $"Lead distribution completed: {r.Warning}",
                    ["run_id"] = r.RunId,
                    ["total_distributed"] = r.Shares,
                    ["members_served"] = r.MembersServed,
                    ["status"] = "completed",
                });
            case DistributionOutcome.Ran { Report: var r }:
                return Results.Problem(title: "Lead distribution failed", detail: r.Error, statusCode: 500);
            case DistributionOutcome.UnknownImport u:
                return Results.NotFound(new Dictionary<string, object?> { ["detail"] = u.Message });
            case DistributionOutcome.Conflict c:
                return Results.Conflict(new Dictionary<string, object?> { ["detail"] = c.Message, ["status"] = c.Status.ToString().ToLowerInvariant() });
            default:
                throw new InvalidOperationException("Unknown outcome.");
        }
    }

    /// <summary>Seed 002: the caller's own files with summary totals.</summary>
    static async Task<IResult> MyFiles(int? page, int? limit, ClaimsPrincipal user, MemberFiles files, CancellationToken ct)
    {
        var memberId = await files.MemberOfUserAsync(user.FindFirstValue(ClaimTypes.NameIdentifier), ct);
        var p = memberId is { } id ? await files.ListAsync(id, page ?? 1, limit ?? 10, ct)
            : new MemberFilePage([], 0, Math.Max(page ?? 1, 1), Math.Clamp(limit ?? 10, 1, 100), 0, 0, 0);
        return Results.Ok(new Dictionary<string, object?>
        {
            ["csv_files"] = p.Files.Select(f => new Dictionary<string, object?>
            {
                ["file_id"] = f.FileId,
                ["filename"] = f.Name,
                ["lead_count"] = f.LeadCount,
                ["member_tier"] = f.Tier,
                ["distribution_id"] = f.RunId,
                ["created_at"] = f.CreatedAt,
                ["download_count"] = f.DownloadCount,
                ["downloaded"] = f.DownloadCount > 0,
                ["downloaded_at"] = f.LastDownloadAt,
            }).ToList(),
            ["total_count"] = p.TotalCount,
            ["page"] = p.Page,
            ["limit"] = p.Limit,
            ["total_pages"] = p.TotalPages,
            ["summary"] = new Dictionary<string, object?>
            {
                ["total_files"] = p.TotalCount,
                ["total_leads"] = p.TotalLeads,
                ["total_downloads"] = p.TotalDownloads,
            },
        });
    }

    /// <summary>
    /// Seed 002: the file's stored bytes as <c>text/csv; charset=utf-8</c> with <c>Content-Length</c>, the file name in
    /// <c>Content-Disposition</c> and <c>Cache-Control: private, no-store</c> (lead data stays out of shared caches);
    /// 404 unknown file, 403 another member's file.
    /// </summary>
    static async Task<Results<FileContentHttpResult, NotFound, ForbidHttpResult>> Download(long file_id, ClaimsPrincipal user,
        MemberFiles files, HttpResponse response, CancellationToken ct)
    {
        switch (await files.DownloadForUserAsync(file_id, user.FindFirstValue(ClaimTypes.NameIdentifier), ct))
        {
            case DownloadOutcome.File f:
                response.Headers.CacheControl = "private, no-store";
                return TypedResults.File(f.Content.Content, "text/csv; charset=utf-8", f.Content.Name);
            case DownloadOutcome.NotFound:
                return TypedResults.NotFound();
            case DownloadOutcome.Forbidden:
                return TypedResults.Forbid();
            default:
                throw new InvalidOperationException("Unknown outcome.");
        }
    }
}
