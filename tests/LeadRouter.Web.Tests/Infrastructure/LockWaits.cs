using System.Diagnostics;
using LeadRouter.Data;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Tests.Infrastructure;

/// <summary>Waiting until the code under test is blocked by a lock a test holds.</summary>
public static class LockWaits
{
    /// <summary>
    /// PostgreSQL: waits until a session of the app's database waits for a lock (row, advisory or table), at most 30 s.
    /// SQLite shows no lock waits, so there it waits a fixed 300 ms.
    /// </summary>
    public static async Task WaitUntilSomeoneWaitsForALockAsync(this LeadRouterApp app)
    {
        var ct = TestContext.Current.CancellationToken;
        if (app.Target.Provider != DatabaseProvider.Postgres)
        {
            await Task.Delay(300, ct);
            return;
        }
        await using var db = app.CreateDb();
        var watch = Stopwatch.StartNew();
        while (await db.Database.SqlQueryRaw<int>(
                   """SELECT count(*)::int AS "Value" FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'""")
                   .SingleAsync(ct) == 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "nothing waited for the lock the test holds");
            await Task.Delay(20, ct);
        }
    }
}
