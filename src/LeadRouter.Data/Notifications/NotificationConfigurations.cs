using LeadRouter.Data.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LeadRouter.Data.Notifications;

sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> e)
    {
        e.ToTable("OutboxMessages");
        e.Property(m => m.MessageId).HasMaxLength(200);
        e.Property(m => m.Kind).HasMaxLength(64);
        e.Property(m => m.To).HasMaxLength(320);
        e.Property(m => m.Subject).HasMaxLength(500);
        e.Property(m => m.LastError).HasMaxLength(2000);
        e.HasIndex(m => m.MessageId).IsUnique();
        e.HasIndex(m => new { m.Status, m.NextAttemptAt });
        e.HasIndex(m => m.RunId);
    }
}

sealed class DistributionScheduleConfiguration : IEntityTypeConfiguration<DistributionSchedule>
{
    public void Configure(EntityTypeBuilder<DistributionSchedule> e)
    {
        e.ToTable("DistributionSchedules");
        e.Property(s => s.Name).HasMaxLength(200);
        e.HasIndex(s => s.Name).IsUnique();
        e.Ignore(s => s.Rule);
    }
}

sealed class ScheduleExecutionConfiguration : IEntityTypeConfiguration<ScheduleExecution>
{
    public void Configure(EntityTypeBuilder<ScheduleExecution> e)
    {
        e.ToTable("ScheduleExecutions");
        e.Property(x => x.ScheduleName).HasMaxLength(200);
        e.Property(x => x.SkipReason).HasMaxLength(1000);
        e.Property(x => x.Error).HasMaxLength(4000);
        // One execution per occurrence: two nodes or two triggers cannot run it twice (DESIGN rule 1).
        e.HasIndex(x => new { x.ScheduleId, x.OccurrenceAt }).IsUnique();
        e.HasIndex(x => x.ExecutionId).IsUnique();
        e.HasIndex(x => x.ExecutedAt);
    }
}
