using LeadRouter.Data;
using LeadRouter.Data.Leads;

namespace LeadRouter.Web.Tests.Infrastructure;

/// <summary>Arranges rows directly through the DbContext (fresh names per test; never global counts).</summary>
public static class TestData
{
    /// <summary>Adds <paramref name="count"/> unassigned leads of <paramref name="source"/> (created if new); returns their ids.</summary>
    public static async Task<IReadOnlyList<long>> AddLeadsAsync(this LeadRouterApp app, string source, int count, LeadStatus status = LeadStatus.New)
    {
        await using var db = app.CreateDb();
        var key = Source.KeyOf(source);
        var src = db.Sources.SingleOrDefault(s => s.Key == key) ?? db.Sources.Add(new Source { Name = source, Key = key, CreatedAt = app.Clock.GetUtcNow() }).Entity;
        var import = db.Imports.Add(new Import { FileName = $"{source}.csv", CreatedAt = app.Clock.GetUtcNow(), Rows = count, Accepted = count }).Entity;
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        var tag = Guid.NewGuid().ToString("N")[..10];
        var leads = Enumerable.Range(0, count).Select(i => new Lead
        {
            IdentityKey = $"email:{tag}.{i}@example.com",
            Email = $"{tag}.{i}@example.com",
            Name = $"Lead {i}",
            SourceId = src.Id,
            ImportId = import.Id,
            Status = status,
            CreatedAt = app.Clock.GetUtcNow(),
        }).ToList();
        db.Leads.AddRange(leads);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return leads.Select(l => l.Id).ToList();
    }
}
