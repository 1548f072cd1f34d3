using LeadRouter.Data;
using LeadRouter.Data.Leads;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Leads;

/// <summary>Source lookup: matched case-insensitively after trimming; the first spelling seen is the display name.</summary>
static class Sources
{
    /// <summary>Finds the source or adds it to the context (saved with the caller's transaction).</summary>
    public static async Task<Source> GetOrCreateAsync(LeadRouterDb db, string name, DateTimeOffset now, CancellationToken ct)
    {
        var key = Source.KeyOf(name);
        var source = await db.Sources.SingleOrDefaultAsync(s => s.Key == key, ct);
        if (source is not null) return source;
        source = new Source { Name = name.Trim(), Key = key, CreatedAt = now };
        db.Sources.Add(source);
        await db.SaveChangesAsync(ct);
        return source;
    }
}
