using LeadRouter.Data.Agents;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Agents;

/// <summary>
/// Seed 000's background trigger: every <see cref="AgentsOptions.BackgroundIntervalSeconds"/> assigns the unassigned
/// leads of every pool with auto-assign on, through the same <see cref="LeadAssigner"/> as the other triggers.
/// A failed run is logged and the loop goes on.
/// </summary>
internal sealed class AssignmentLoop(LeadAssigner assigner, IOptions<AgentsOptions> options, TimeProvider clock, ILogger<AssignmentLoop> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.BackgroundEnabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.BackgroundIntervalSeconds), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await assigner.AssignAsync(AssignmentTrigger.Background, null, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Background assignment failed; retrying at the next tick");
            }
        }
    }
}
