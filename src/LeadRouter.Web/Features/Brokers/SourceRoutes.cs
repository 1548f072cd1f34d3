using LeadRouter.Data;
using LeadRouter.Data.Brokers;
using LeadRouter.Web.Features.Leads;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Brokers;

/// <summary>A source's routing setting.</summary>
/// <param name="SourceId">Source id.</param>
/// <param name="Source">Source display name.</param>
/// <param name="RouteTo">Where its leads go on intake.</param>
public sealed record SourceRouteDto(long SourceId, string Source, RouteTarget RouteTo);

/// <summary>Where each source's leads go: agents (the default) or brokers (<c>leadrouter sources set S --route brokers</c>).</summary>
public sealed class SourceRoutes(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    /// <summary>Sets the route of <paramref name="source"/>, creating the source if it does not exist yet.</summary>
    /// <exception cref="InputException">Empty source name (field <c>source</c>).</exception>
    public async Task<SourceRouteDto> SetAsync(string source, RouteTarget routeTo, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(source)) throw new InputException("source", "A source is required.");
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow();
        var src = await Sources.GetOrCreateAsync(db, source, now, ct);
        var row = await db.SourceRoutings.SingleOrDefaultAsync(r => r.SourceId == src.Id, ct);
        if (row is null) db.SourceRoutings.Add(row = new SourceRouting { SourceId = src.Id });
        row.RouteTo = routeTo;
        row.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new SourceRouteDto(src.Id, src.Name, routeTo);
    }

    /// <summary>Every source with its route, by name.</summary>
    public async Task<IReadOnlyList<SourceRouteDto>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await db.Sources
            .Select(s => new { s.Id, s.Name, Route = db.SourceRoutings.Where(r => r.SourceId == s.Id).Select(r => (RouteTarget?)r.RouteTo).FirstOrDefault() })
            .ToListAsync(ct);
        return rows.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase)
            .Select(r => new SourceRouteDto(r.Id, r.Name, r.Route ?? RouteTarget.Agents)).ToList();
    }
}
