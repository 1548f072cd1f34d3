namespace LeadRouter.Web.Features.Brokers;

/// <summary>Wiring of the brokers area: brokers, source routes, routing, statistics.</summary>
public static class BrokersModule
{
    /// <summary>The area's services (used by the web host and the CLI).</summary>
    public static IHostApplicationBuilder AddBrokers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<BrokerDirectory>();
        builder.Services.AddSingleton<SourceRoutes>();
        builder.Services.AddSingleton<RouteLeads>();
        builder.Services.AddSingleton<BrokerStats>();
        return builder;
    }
}
