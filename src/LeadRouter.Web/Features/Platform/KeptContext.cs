using LeadRouter.Data;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Platform;

/// <summary>
/// A writer loop's own <see cref="LeadRouterDb"/> with its connection kept open between transactions (no open, pragmas
/// and close per group), replaced after any error so the next attempt starts on a fresh connection. Used by one loop at
/// a time (not thread-safe): the intake writer and the download counts.
/// </summary>
/// <param name="dbs">Where contexts come from.</param>
/// <param name="configure">Applied to each new context before its connection opens (e.g. change tracking off).</param>
sealed class KeptContext(IDbContextFactory<LeadRouterDb> dbs, Action<LeadRouterDb>? configure = null) : IAsyncDisposable
{
    LeadRouterDb? context;

    /// <summary>Runs <paramref name="work"/> on the kept context (opened first if there is none); when it throws, the
    /// context is disposed and dropped and the exception passes on.</summary>
    public async Task<T> RunAsync<T>(Func<LeadRouterDb, Task<T>> work, CancellationToken ct)
    {
        var db = context ?? await OpenAsync(ct);
        try
        {
            return await work(db);
        }
        catch
        {
            context = null;
            await db.DisposeAsync();
            throw;
        }
    }

    async Task<LeadRouterDb> OpenAsync(CancellationToken ct)
    {
        var db = await dbs.CreateDbContextAsync(ct);
        try
        {
            configure?.Invoke(db);
            await db.Database.OpenConnectionAsync(ct);
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
        return context = db;
    }

    /// <summary>Disposes the kept context, if any.</summary>
    public async ValueTask DisposeAsync()
    {
        if (context is not null) await context.DisposeAsync();
        context = null;
    }
}
