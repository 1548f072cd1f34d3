using LeadRouter.Data.Agents;
using LeadRouter.Data.Leads.Intake;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Brokers;

namespace LeadRouter.Web.Features.Leads;

/// <summary>
/// An import's report plus what intake did with the leads: assignment runs of the pooled sources, and the routing run
/// of the sources set to route to brokers (null when there were none).
/// </summary>
public sealed record ImportResult(ImportReport Report, IReadOnlyList<AssignmentRun> Runs, RoutingRun? Routing = null)
{
    /// <summary>Leads assigned to agents right after the import.</summary>
    public int Assigned => Runs.Sum(r => r.Assigned);

    /// <summary>Leads routed to brokers right after the import.</summary>
    public int Routed => Routing?.Routed ?? 0;

    /// <summary>Leads of broker-routed sources that no broker could take (they keep the reason and wait).</summary>
    public int Unrouted => Routing?.Unrouted ?? 0;
}

/// <summary>
/// Imports a lead file (the one path behind <c>leadrouter import</c> and <c>POST /api/v1/imports</c>), then assigns
/// the new leads of every source that has a pool with auto-assign on (trigger <see cref="AssignmentTrigger.Import"/>).
/// Sources set to route to brokers (<see cref="SourceRoutes"/>) are routed instead, in one run over their waiting
/// leads, oldest first (so leads an earlier run left unrouted get another chance). Reserve and member imports are not assigned.
/// </summary>
public sealed class ImportLeads(LeadImporter importer, LeadAssigner assigner, RouteLeads router)
{
    /// <summary>Runs the import; see <see cref="LeadImporter.ImportAsync"/> for the rules and errors.</summary>
    /// <exception cref="ImportInputException">Empty or unreadable file, or a named column is missing.</exception>
    public async Task<ImportResult> RunAsync(Stream file, ImportOptions options, IProgress<ImportProgress>? progress, CancellationToken ct)
    {
        var report = await importer.ImportAsync(file, options, progress, ct);
        if (!report.Stored || report.Accepted == 0 || options.Purpose != Data.Leads.ImportPurpose.Agents)
            return new ImportResult(report, []);
        var toBrokers = await router.BrokerSourcesAsync(report.SourceIds, ct);
        var runs = new List<AssignmentRun>();
        foreach (var sourceId in report.SourceIds.Except(toBrokers))
            if (await assigner.AssignSourceAsync(sourceId, AssignmentTrigger.Import, ct) is { } run) runs.Add(run);
        var routing = toBrokers.Count > 0 ? await router.RouteSourcesAsync(toBrokers, Data.Brokers.RoutingTrigger.Import, ct) : null;
        return new ImportResult(report, runs, routing);
    }
}
