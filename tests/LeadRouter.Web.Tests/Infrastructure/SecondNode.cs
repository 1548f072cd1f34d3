using LeadRouter.Data;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Features.Notifications;
using LeadRouter.Web.Features.Replenishment;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeadRouter.Web.Tests.Infrastructure;

/// <summary>Another LeadRouter node on the same database: its own services, connection pool and state.</summary>
public sealed class SecondNode : IDisposable
{
    readonly ServiceProvider services;

    SecondNode(ServiceProvider services) => this.services = services;

    public LeadAssigner Assigner => services.GetRequiredService<LeadAssigner>();

    public RouteLeads Router => services.GetRequiredService<RouteLeads>();
    /// <summary>This node's schedule executor (members area).</summary>
    public ScheduledDistribution Scheduled => services.GetRequiredService<ScheduledDistribution>();

    public Replenish Replenish => services.GetRequiredService<Replenish>();

    public static SecondNode Create(DatabaseTarget target, TimeProvider clock)
    {
        var s = new ServiceCollection();
        s.AddSingleton(target);
        s.AddDbContextFactory<LeadRouterDb>((sp, o) => DataRegistration.Configure(o, target));
        s.AddSingleton(clock);
        s.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        s.AddSingleton<LeadRouter.Web.Features.Platform.RunProgress>();
        s.AddSingleton<LeadAssigner>();
        s.AddSingleton<RouteLeads>();
        s.AddOptions<MembersOptions>();
        s.AddOptions<EmailOptions>();
        s.AddSingleton<OutboxSignal>();
        s.AddSingleton<RunDistribution>();
        s.AddSingleton<DistributionOverview>();
        s.AddSingleton<ScheduledDistribution>();
        s.AddSingleton<Replenish>();
        return new SecondNode(s.BuildServiceProvider());
    }

    public void Dispose() => services.Dispose();
}
