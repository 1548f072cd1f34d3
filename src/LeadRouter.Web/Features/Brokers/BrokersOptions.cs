using System.ComponentModel.DataAnnotations;
using LeadRouter.Domain.Brokers;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>Options of the brokers area, section <c>Brokers</c>: delivery, retries and the endpoint address guard.</summary>
public sealed class BrokersOptions
{
    public const string Section = "Brokers";

    /// <summary>
    /// Hosts, addresses and CIDR ranges a delivery endpoint may use although they are loopback, private, link-local,
    /// CGNAT or multicast (e.g. <c>127.0.0.1</c>, <c>10.1.0.0/16</c>, <c>crm.internal</c>). Entries may also be
    /// comma-separated. Empty: only public addresses.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Timeout of one push attempt, in seconds.</summary>
    [Range(1, 300)]
    public int AttemptTimeoutSeconds { get; set; } = 10;

    /// <summary>Retries after the first attempt before a delivery is dead.</summary>
    [Range(0, 50)]
    public int MaxRetries { get; set; } = 5;

    /// <summary>Delay before each retry in seconds; the last repeats when there are more retries. Empty: 10, 60, 300, 900, 3600.</summary>
    public List<int> RetryDelaysSeconds { get; set; } = [];

    /// <summary>Jitter added to each retry delay, as a fraction of it.</summary>
    [Range(0.0, 1.0)]
    public double RetryJitter { get; set; } = 0.2;

    /// <summary>Failed attempts in a row that pause a broker (0 = never).</summary>
    [Range(0, 10_000)]
    public int PauseAfterFailures { get; set; } = 10;

    /// <summary>Whether <c>serve</c> runs the delivery dispatcher.</summary>
    public bool DispatcherEnabled { get; set; } = true;

    /// <summary>Milliseconds between polls of the outbox when it was empty.</summary>
    [Range(10, 60_000)]
    public int DispatchIntervalMs { get; set; } = 1000;

    /// <summary>Deliveries claimed per poll.</summary>
    [Range(1, 10_000)]
    public int DispatchBatchSize { get; set; } = 100;

    /// <summary>Pushes in flight at once per node.</summary>
    [Range(1, 256)]
    public int DispatchParallelism { get; set; } = 16;

    /// <summary>How long a claimed delivery stays with its dispatcher before another node may take it, in seconds.</summary>
    [Range(15, 3600)]
    public int LeaseSeconds { get; set; } = 120;

    /// <summary>The retry rules for Domain.</summary>
    public DeliveryRules Rules => new(MaxRetries,
        (RetryDelaysSeconds.Count == 0 ? DeliveryRules.Default.RetryDelays : RetryDelaysSeconds.Select(s => TimeSpan.FromSeconds(s)).ToList()),
        RetryJitter, PauseAfterFailures);
}
