using System.ComponentModel.DataAnnotations;

namespace LeadRouter.Web.Features.Agents;

/// <summary>Options of the agents area, section <c>Agents</c>.</summary>
public sealed class AgentsOptions
{
    public const string Section = "Agents";

    /// <summary>Seconds between runs of the background assignment loop in <c>leadrouter serve</c> (seed 000: 30).</summary>
    [Range(1, 86_400)]
    public int BackgroundIntervalSeconds { get; set; } = 30;

    /// <summary>Whether <c>serve</c> runs the background loop at all.</summary>
    public bool BackgroundEnabled { get; set; } = true;
}

/// <summary>Wiring of the agents area: agents, pools, assignment, statistics, history.</summary>
public static class AgentsModule
{
    /// <summary>The area's services (used by the web host and the CLI).</summary>
    public static IHostApplicationBuilder AddAgents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AgentsOptions>().BindConfiguration(AgentsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<LeadAssigner>();
        builder.Services.AddSingleton<AgentDirectory>();
        builder.Services.AddSingleton<AgentPools>();
        builder.Services.AddSingleton<AssignmentStats>();
        return builder;
    }

    /// <summary>The background loop that assigns every auto-assign pool's leads (web host only).</summary>
    public static IHostApplicationBuilder AddAgentsBackground(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<AssignmentLoop>();
        return builder;
    }
}
