using LeadRouter.Data.Brokers;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data;

public sealed partial class LeadRouterDb
{
    /// <summary>Outcomes brokers reported about their leads (postbacks), unique per (broker, event id).</summary>
    public DbSet<LeadEvent> LeadEvents => Set<LeadEvent>();
    /// <summary>Per lead: first deposit and conversion time, from the postbacks.</summary>
    public DbSet<LeadOutcome> LeadOutcomes => Set<LeadOutcome>();
}
