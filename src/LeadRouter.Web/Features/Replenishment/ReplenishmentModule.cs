using System.ComponentModel.DataAnnotations;
using LeadRouter.Web.Features.Accounts;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Features.Replenishment;

/// <summary>Options of replenishment, section <c>Replenishment</c>.</summary>
public sealed class ReplenishmentOptions
{
    public const string Section = "Replenishment";

    /// <summary>Whether <c>serve</c> runs replenishment in the background.</summary>
    public bool BackgroundEnabled { get; set; } = true;

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

    /// <summary>The background loop (web host only).</summary>
    public static IHostApplicationBuilder AddReplenishmentBackground(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<ReplenishmentLoop>();
        return builder;
    }

    /// <summary>
    /// <c>GET/PUT /api/v1/replenishment/policy</c> (seed 001's JSON as-is, comments allowed), <c>POST /api/v1/replenishment/run</c>,
    /// <c>GET /api/v1/replenishment/runs</c>. Admins only.
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
        api.MapPost("/run", (Replenish r, CancellationToken ct) => r.RunOnceAsync("manual", ct));
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
