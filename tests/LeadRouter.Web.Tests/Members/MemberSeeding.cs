using LeadRouter.Data.Leads;
using LeadRouter.Data.Members;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Members;

/// <summary>Arranges member imports and members directly through EF (the import pipeline is tested elsewhere).</summary>
static class MemberSeeding
{
    /// <summary>
    /// Starts an app on a fresh database of its own (a run serves every eligible member in the database, so these tests
    /// cannot share one); skips when the database is not available.
    /// </summary>
    public static async Task<TApp> StartFreshAsync<TApp>() where TApp : LeadRouterApp, new()
    {
        var app = new TApp();
        if (app.SkipReason is { } reason) Assert.Skip(reason);
        await app.InitializeAsync();
        return app;
    }

    /// <summary>A member import with <paramref name="count"/> leads (Name, Email, Address, status New); returns its id.</summary>
    public static async Task<long> ImportAsync(LeadRouterApp app, int count, Func<int, (string Name, string Email, string Address)>? row = null)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = app.CreateDb();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var import = new Import
        {
            FileName = $"members_{tag}.csv",
            Purpose = ImportPurpose.Members,
            CreatedAt = app.Clock.GetUtcNow(),
            Rows = count,
            Accepted = count,
        };
        db.Imports.Add(import);
        await db.SaveChangesAsync(ct);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        var leads = Enumerable.Range(0, count).Select(i =>
        {
            var (name, email, address) = row?.Invoke(i) ?? ($"Lead {i}", $"lead{i}.{tag}@example.com", $"{i} Main St");
            return new Lead
            {
                IdentityKey = $"email:{email}",
                Name = name,
                Email = email,
                Address = address,
                ImportId = import.Id,
                Status = LeadStatus.New,
                CreatedAt = app.Clock.GetUtcNow(),
            };
        });
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        db.Leads.AddRange(leads);
        await db.SaveChangesAsync(ct);
        return import.Id;
    }

    /// <summary>Adds <paramref name="count"/> members of a tier named <c>{prefix}{1..count}</c>; returns their ids.</summary>
    public static async Task<IReadOnlyList<long>> MembersAsync(LeadRouterApp app, string tier, int count, string prefix, bool suspended = false)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = app.CreateDb();
        var tierId = await db.Tiers.Where(t => t.Name == tier).Select(t => t.Id).SingleAsync(ct);
        var members = Enumerable.Range(1, count).Select(i => new Member
        {
            Username = $"{prefix}{i}",
            Email = $"{prefix}{i}@example.com",
            TierId = tierId,
            Suspended = suspended,
            CreatedAt = app.Clock.GetUtcNow(),
        }).ToList();
        db.Members.AddRange(members);
        await db.SaveChangesAsync(ct);
        return members.Select(m => m.Id).ToList();
    }

    /// <summary>
    /// What a process that claimed a manual run of <paramref name="importId"/> and then died leaves behind (its
    /// transaction rolled back): the run in <c>processing</c> with its lease until <paramref name="leaseUntil"/>; returns its id.
    /// </summary>
    public static async Task<long> AbandonedRunAsync(LeadRouterApp app, long importId, DateTimeOffset leaseUntil)
    {
        await using var db = app.CreateDb();
        var now = app.Clock.GetUtcNow();
        var run = new DistributionRun
        {
            ImportId = importId,
            Kind = DistributionRunKind.Manual,
            Status = DistributionRunStatus.Processing,
            LeaseToken = Guid.NewGuid(),
            LeaseUntil = leaseUntil,
            CreatedAt = now,
            StartedAt = now,
        };
        db.DistributionRuns.Add(run);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return run.Id;
    }
}
