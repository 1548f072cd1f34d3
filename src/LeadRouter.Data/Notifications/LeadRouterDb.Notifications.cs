using LeadRouter.Data.Members;
using LeadRouter.Data.Notifications;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data;

public sealed partial class LeadRouterDb
{
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<DistributionSchedule> DistributionSchedules => Set<DistributionSchedule>();
    public DbSet<ScheduleExecution> ScheduleExecutions => Set<ScheduleExecution>();
}
