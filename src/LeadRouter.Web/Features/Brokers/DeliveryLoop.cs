using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>
/// The delivery dispatcher of <c>leadrouter serve</c>: sends due deliveries batch after batch (overlapping, see
/// <see cref="DispatchDeliveries.DrainAsync"/>), and polls every
/// <see cref="BrokersOptions.DispatchIntervalMs"/> when nothing is due. Any node may run it (rows are leased).
/// A failed batch is logged and the loop goes on.
/// </summary>
internal sealed class DeliveryLoop(DispatchDeliveries dispatcher, IOptions<BrokersOptions> options, TimeProvider clock, ILogger<DeliveryLoop> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.DispatcherEnabled) return;
        var idle = TimeSpan.FromMilliseconds(options.Value.DispatchIntervalMs);
        while (!stoppingToken.IsCancellationRequested)
        {
            var sent = 0;
            try
            {
                sent = await dispatcher.DrainAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Delivery dispatch failed; retrying after the poll interval");
            }

            if (sent == 0) await Task.Delay(idle, clock, stoppingToken);
        }
    }
}
