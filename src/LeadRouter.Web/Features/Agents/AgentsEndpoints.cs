using LeadRouter.Data.Agents;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LeadRouter.Web.Features.Agents;

/// <summary>Body of <c>PUT /api/v1/pools/{source}</c>: agents in order (ids or names), method, auto-assign.</summary>
public sealed record PoolRequest(IReadOnlyList<string> Agents, AssignmentMethod Method = AssignmentMethod.Fair, bool AutoAssign = true);

/// <summary>Body of <c>POST /api/v1/assign</c>: one source, or every auto-assign pool when empty.</summary>
public sealed record AssignRequest(string? Source = null);

/// <summary>Result of a manual assignment: total, per source, and every run's breakdown.</summary>
public sealed record AssignResponse(int Assigned, IReadOnlyDictionary<string, int> BySource, IReadOnlyList<AssignmentRun> Runs)
{
    public static AssignResponse From(IReadOnlyList<AssignmentRun> runs) =>
        new(runs.Sum(r => r.Assigned), runs.ToDictionary(r => r.Source, r => r.Assigned), runs);
}

/// <summary>Routes of the agents area under <c>/api/v1</c>, admins only.</summary>
public static class AgentsEndpoints
{
    public static IEndpointRouteBuilder MapAgents(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Agents").RequireAuthorization(Roles.AdminPolicy);
        api.MapGet("/agents", (AgentDirectory agents, CancellationToken ct) => agents.ListAsync(ct));
        api.MapPost("/agents", CreateAgent);
        api.MapPatch("/agents/{agent}", (string agent, AgentChanges body, AgentDirectory agents, CancellationToken ct) => agents.SetAsync(agent, body, ct));
        api.MapGet("/pools", (string? source, AgentPools pools, CancellationToken ct) => pools.ListAsync(source, ct));
        api.MapPut("/pools/{source}", (string source, PoolRequest body, AgentPools pools, CancellationToken ct) =>
            pools.SaveAsync(source, body.Agents ?? [], body.Method, body.AutoAssign, ct));
        api.MapDelete("/pools/{source}", DeletePool);
        api.MapPost("/assign", async (AssignRequest? body, LeadAssigner assigner, CancellationToken ct) =>
            AssignResponse.From(await assigner.AssignAsync(AssignmentTrigger.Manual, body?.Source, ct)));
        api.MapGet("/stats", (string? source, AssignmentStats stats, CancellationToken ct) => stats.GetAsync(source, ct));
        api.MapGet("/history", (string? source, long? agentId, int? page, int? pageSize, AssignmentStats stats, CancellationToken ct) =>
            stats.HistoryAsync(source, agentId, page ?? 1, pageSize ?? 50, ct));
        return app;
    }

    static async Task<Created<AgentDto>> CreateAgent(NewAgent body, AgentDirectory agents, CancellationToken ct)
    {
        var agent = await agents.AddAsync(body, ct);
        return TypedResults.Created($"/api/v1/agents/{agent.Id}", agent);
    }

    static async Task<Results<NoContent, NotFound>> DeletePool(string source, AgentPools pools, CancellationToken ct) =>
        await pools.DeleteAsync(source, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
}
