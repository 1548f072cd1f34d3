using LeadRouter.Data.Agents;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Web.Features.Agents;

namespace LeadRouter.Web.Features.Leads;

/// <summary>An import's report plus what intake did with the leads: assignment runs of the pooled sources.</summary>
public sealed record ImportResult(ImportReport Report, IReadOnlyList<AssignmentRun> Runs)
{
    /// <summary>Leads assigned to agents right after the import.</summary>
    public int Assigned => Runs.Sum(r => r.Assigned);
}

/// <summary>
/// Imports a lead file (the one path behind <c>leadrouter import</c> and <c>POST /api/v1/imports</c>), then assigns
/// the new leads of every source that has a pool with auto-assign on (trigger <see cref="AssignmentTrigger.Import"/>).
/// Reserve and member imports are not assigned.
/// </summary>
public sealed class ImportLeads(LeadImporter importer, LeadAssigner assigner)
{
    /// <summary>Runs the import; see <see cref="LeadImporter.ImportAsync"/> for the rules and errors.</summary>
    /// <exception cref="ImportInputException">Empty or unreadable file, or a named column is missing.</exception>
    public async Task<ImportResult> RunAsync(Stream file, ImportOptions options, IProgress<ImportProgress>? progress, CancellationToken ct)
    {
        var report = await importer.ImportAsync(file, options, progress, ct);
        if (!report.Stored || report.Accepted == 0 || options.Purpose != Data.Leads.ImportPurpose.Agents)
            return new ImportResult(report, []);
        var runs = new List<AssignmentRun>();
        foreach (var sourceId in report.SourceIds)
            if (await assigner.AssignSourceAsync(sourceId, AssignmentTrigger.Import, ct) is { } run) runs.Add(run);
        return new ImportResult(report, runs);
    }
}
