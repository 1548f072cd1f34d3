using LeadRouter.Data.Leads;
using LeadRouter.Domain.Agents;
using LeadRouter.Web.Features.Agents;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Tests.Agents;

public abstract class AssignmentLoopTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    [Fact]
    public async Task The_background_loop_assigns_new_leads_of_auto_assign_pools_each_interval()
    {
        var agent = await App.Get<AgentDirectory>().AddAsync(new NewAgent(Unique("Bg")), Ct);
        var (auto, manual) = (Unique("AUTO"), Unique("MANUAL"));
        await App.Get<AgentPools>().SaveAsync(auto, [agent.Name], AssignmentMethod.Fair, autoAssign: true, Ct);
        await App.Get<AgentPools>().SaveAsync(manual, [agent.Name], AssignmentMethod.Fair, autoAssign: false, Ct);
        var autoLeads = await App.AddLeadsAsync(auto, 3);
        var manualLeads = await App.AddLeadsAsync(manual, 2);
        var loop = new AssignmentLoop(App.Get<LeadAssigner>(), Options.Create(new AgentsOptions { BackgroundIntervalSeconds = 30 }),
            App.Clock, NullLogger<AssignmentLoop>.Instance);

        await loop.StartAsync(Ct);
        var waited = 0;
        while (await PendingAsync(autoLeads) < 3 && waited++ < 200)
        {
            App.Clock.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(25, Ct);
        }

        await loop.StopAsync(Ct);
        Assert.Equal(3, await PendingAsync(autoLeads));
        Assert.Equal(0, await PendingAsync(manualLeads)); // a pool with auto-assign off waits for a manual run
    }

    async Task<int> PendingAsync(IReadOnlyList<long> ids)
    {
        await using var db = App.CreateDb();
        return await db.Leads.CountAsync(l => ids.Contains(l.Id) && l.Status == LeadStatus.Pending, Ct);
    }
}

public sealed class AssignmentLoopTests_Sqlite(SqliteApp app) : AssignmentLoopTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class AssignmentLoopTests_Postgres(PostgresApp app) : AssignmentLoopTests<PostgresApp>(app);
