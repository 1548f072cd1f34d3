using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Notifications;

/// <summary>
/// The background e-mail sender of the web host: passes of <see cref="OutboxSender"/> while messages are due, otherwise
/// waits for a committed run (<see cref="OutboxSignal"/>) or <see cref="EmailOptions.PollSeconds"/>. Any node may run it:
/// claims are leased, so nodes take disjoint messages.
/// </summary>
sealed class OutboxDispatcher(OutboxSender sender, OutboxSignal signal, TimeProvider clock, IOptions<EmailOptions> options,
    ILogger<OutboxDispatcher> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            log.LogInformation("E-mail sending is off (Email:Enabled is false); messages stay in the outbox");
            return;
        }

        while (!ct.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                claimed = await sender.SendDueAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                log.LogError(e, "Outbox pass failed");
            }

            if (claimed < o.BatchSize) await signal.WaitAsync(TimeSpan.FromSeconds(o.PollSeconds), clock, ct);
        }
    }
}
