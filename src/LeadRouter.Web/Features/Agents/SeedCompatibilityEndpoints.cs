using System.Text.Json.Serialization;
using LeadRouter.Data.Agents;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Accounts;

namespace LeadRouter.Web.Features.Agents;

/// <summary>
/// Seed 000's routes, kept as aliases for existing front-ends: snake_case JSON and the seed's words
/// (<c>cre_ids</c> are agent ids). Same coordinators as <c>/api/v1</c>; admins only.
/// </summary>
public static class SeedCompatibilityEndpoints
{
    /// <summary>Body of <c>save_auto_assign_config</c>.</summary>
    public sealed record SaveConfig([property: JsonPropertyName("source")] string Source, [property: JsonPropertyName("cre_ids")] IReadOnlyList<long> CreIds);

    /// <summary>Body of <c>delete_auto_assign_config</c>.</summary>
    public sealed record DeleteConfig([property: JsonPropertyName("source")] string Source);

    /// <summary>The seed's answer shape.</summary>
    public sealed record SeedResult(
        [property: JsonPropertyName("success")] bool Success,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("assigned_count")] int AssignedCount);

    public static IEndpointRouteBuilder MapSeedCompatibility(this IEndpointRouteBuilder app)
    {
        var seed = app.MapGroup("").WithTags("Seed 000 compatibility").RequireAuthorization(Roles.AdminPolicy);
        seed.MapGet("/get_auto_assign_config", async (AgentPools pools, CancellationToken ct) =>
            (await pools.ListAsync(null, ct)).Select(p => new Dictionary<string, object?>
            {
                ["source"] = p.Source,
                ["cre_ids"] = p.Agents.Select(a => a.AgentId).ToArray(),
                ["cre_names"] = p.Agents.Select(a => a.Name).ToArray(),
                ["method"] = p.Method == AssignmentMethod.Fair ? "fair" : "round_robin",
                ["is_active"] = p.AutoAssign,
            }).ToList());
        seed.MapPost("/save_auto_assign_config", async (SaveConfig body, AgentPools pools, CancellationToken ct) =>
        {
            var saved = await pools.SaveAsync(body.Source, body.CreIds.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(),
                AssignmentMethod.Fair, autoAssign: true, ct);
            var n = saved.Run?.Assigned ?? 0;
            return new SeedResult(true, $"Auto-assign configuration saved for {saved.Pool.Source}; {n} leads assigned.", n);
        });
        seed.MapPost("/trigger_auto_assign/{source}", async (string source, LeadAssigner assigner, CancellationToken ct) =>
        {
            var runs = await assigner.AssignAsync(AssignmentTrigger.Manual, source, ct);
            if (runs.Count == 0) return Results.NotFound(new SeedResult(false, $"No auto-assign configuration for source {source}.", 0));
            var n = runs.Sum(r => r.Assigned);
            return Results.Ok(new SeedResult(true, $"{n} leads assigned for {runs[0].Source}.", n));
        });
        seed.MapPost("/delete_auto_assign_config", async (DeleteConfig body, AgentPools pools, CancellationToken ct) =>
            await pools.DeleteAsync(body.Source, ct)
                ? Results.Ok(new SeedResult(true, $"Auto-assign configuration deleted for {body.Source}.", 0))
                : Results.NotFound(new SeedResult(false, $"No auto-assign configuration for source {body.Source}.", 0)));
        return app;
    }
}
