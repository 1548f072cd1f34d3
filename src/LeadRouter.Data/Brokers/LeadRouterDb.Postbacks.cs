using LeadRouter.Data.Brokers;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data;

public sealed partial class LeadRouterDb
{
    /// <summary>Outcomes brokers reported about their leads (postbacks), unique per (broker, event id).</summary>
    public DbSet<LeadEvent> LeadEvents => Set<LeadEvent>();
    /// <summary>Per lead: first deposit and conversion time, from the postbacks.</summary>
    public DbSet<LeadOutcome> LeadOutcomes => Set<LeadOutcome>();
    /// <summary>The broker report's daily rollups per routing cell (kept by database triggers; read-only for the application).</summary>
    public DbSet<BrokerReportDay> BrokerReportDays => Set<BrokerReportDay>();
    /// <summary>Deposit amounts per routing cell, UTC routing day and currency (kept by database triggers).</summary>
    public DbSet<BrokerReportRevenue> BrokerReportRevenue => Set<BrokerReportRevenue>();
    /// <summary>Push response-time histograms per routing cell and UTC routing day (kept by database triggers).</summary>
    public DbSet<BrokerReportResponseTime> BrokerReportResponseTimes => Set<BrokerReportResponseTime>();
}
