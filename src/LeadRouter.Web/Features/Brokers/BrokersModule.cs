using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>Wiring of the brokers area: brokers, source routes, routing, statistics, delivery.</summary>
public static class BrokersModule
{
    /// <summary>The area's services (used by the web host and the CLI).</summary>
    public static IHostApplicationBuilder AddBrokers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BrokersOptions>().BindConfiguration(BrokersOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<BrokerDirectory>();
        builder.Services.AddSingleton<SourceRoutes>();
        builder.Services.AddSingleton<RouteLeads>();
        builder.Services.AddSingleton<BrokerStats>();
        builder.Services.AddSingleton<BrokerSecrets>();
        builder.Services.AddSingleton<EndpointGuard>();
        builder.Services.AddSingleton<BrokerApiConfig>();
        builder.Services.AddSingleton<DispatchDeliveries>();
        builder.Services.AddSingleton<PostbackTokens>();
        builder.Services.AddSingleton<ReceivePostback>();
        builder.Services.AddSingleton<LeadTimeline>();
        builder.Services.AddSingleton<BrokerReport>();
        builder.Services.AddSingleton<DeliveryLog>();
        // Pushes: the address guard's handler (no redirects); the pipeline only bounds each attempt, retries are stored.
        builder.Services.AddHttpClient<BrokerPushClient>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<EndpointGuard>().CreateHandler())
            .AddResilienceHandler("broker-push", (pipeline, context) => pipeline.AddTimeout(
                TimeSpan.FromSeconds(context.ServiceProvider.GetRequiredService<IOptions<BrokersOptions>>().Value.AttemptTimeoutSeconds)));
        builder.Services.AddSingleton<Func<BrokerPushClient>>(sp => () => sp.GetRequiredService<BrokerPushClient>());
        return builder;
    }

    /// <summary>The delivery dispatcher (web host only).</summary>
    public static IHostApplicationBuilder AddBrokersBackground(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<DeliveryLoop>();
        return builder;
    }
}
