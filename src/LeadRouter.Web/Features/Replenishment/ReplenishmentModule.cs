using System.ComponentModel.DataAnnotations;
using LeadRouter.Web.Features.Accounts;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Replenishment;

/// <summary>Options of replenishment, section <c>Replenishment</c>.</summary>
public sealed class ReplenishmentOptions
{
    public const string Section = "Replenishment";

    /// <summary>Whether <c>serve</c> runs replenishment in the background (off unless enabled).</summary>
    public bool BackgroundEnabled { get; set; }

    /// <summary>Seconds between background runs (default 15 minutes); the policy's cooldown still applies.</summary>
    [Range(10, 86_400)]
    public int IntervalSeconds { get; set; } = 900;
}

/// <summary>Wiring and routes of replenishment (seed 001).</summary>
public static class ReplenishmentModule
{
    public static IHostApplicationBuilder AddReplenishment(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReplenishmentOptions>().BindConfiguration(ReplenishmentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Replenish>();
        return builder;
    }

    /// <summary>The background loop and the <c>/health</c> entry of the last run (web host only).</summary>
    public static IHostApplicationBuilder AddReplenishmentBackground(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<ReplenishmentLoop>();
        builder.Services.AddHealthChecks().AddCheck<ReplenishmentHealthCheck>("replenishment");
        return builder;
    }

    /// <summary>
    /// <c>GET/PUT /api/v1/replenishment/policy</c> (seed 001's JSON as-is, comments allowed), <c>POST /api/v1/replenishment/run</c>,
    /// <c>GET /api/v1/replenishment/runs</c>. Admins only. <c>POST …/run?dryRun=true</c> plans and reports without releasing.
    /// </summary>
    public static IEndpointRouteBuilder MapReplenishment(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/replenishment").WithTags("Replenishment").RequireAuthorization(Roles.AdminPolicy);
        api.MapGet("/policy", async (Replenish r, CancellationToken ct) => Results.Text((await r.GetPolicyAsync(ct)).Json, "application/json"));
        api.MapPut("/policy", async (HttpRequest request, Replenish r, CancellationToken ct) =>
        {
            using var reader = new StreamReader(request.Body);
            var json = await reader.ReadToEndAsync(ct);
            await r.SavePolicyAsync(json, ct);
            return Results.Text(json, "application/json");
        }).Accepts<object>("application/json");
        api.MapPost("/run", (bool? dryRun, Replenish r, CancellationToken ct) => r.RunOnceAsync(new ReplenishRequest("manual", dryRun ?? false), ct));
        api.MapGet("/runs", (int? page, int? pageSize, Replenish r, CancellationToken ct) => r.RunsAsync(page ?? 1, pageSize ?? 20, ct));
        return app;
    }
}

/// <summary>Runs replenishment every <see cref="ReplenishmentOptions.IntervalSeconds"/>; a failure is logged and the loop goes on.</summary>
sealed class ReplenishmentLoop(Replenish replenish, IOptions<ReplenishmentOptions> options, TimeProvider clock, ILogger<ReplenishmentLoop> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.BackgroundEnabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.IntervalSeconds), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await replenish.RunOnceAsync("background", stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Background replenishment failed; retrying at the next tick");
            }
        }
    }
}

/// <summary>
/// <c>/health</c> entry <c>replenishment</c>: the last run's time, released count and <c>blockedBy</c>. Healthy when the
/// last run read its metrics (or there has been none); degraded (still HTTP 200) when it could not; unhealthy when the
/// run log cannot be read.
/// </summary>
sealed class ReplenishmentHealthCheck(Replenish replenish) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        LeadRouter.Data.Replenishment.ReplenishmentRun? last;
        try
        {
            last = await replenish.LastRunAsync(cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("The replenishment run log could not be read.", e);
        }

        if (last is null) return HealthCheckResult.Healthy("No replenishment run yet.");
        var data = new Dictionary<string, object>
        {
            ["lastRunAt"] = last.RanAt.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["trigger"] = last.Trigger,
            ["released"] = last.Released,
            ["blockedBy"] = (object?)last.BlockedBy ?? "none",
        };
        return last.Error is null
            ? HealthCheckResult.Healthy($"Last replenishment run released {last.Released}.", data)
            : HealthCheckResult.Degraded($"Last replenishment run could not read its metrics: {last.Error}", data: data);
    }
}
