using System.ComponentModel.DataAnnotations;
using LeadRouter.Data;
using LeadRouter.Domain.Members;
using Npgsql;
using Quartz;

namespace LeadRouter.Web.Features.Members;

/// <summary>Options of the members area, section <c>Members</c>.</summary>
public sealed class MembersOptions
{
    public const string Section = "Members";

    /// <summary>Most members a lead goes to over all runs (seed 002: max 10 shares per lead).</summary>
    [Range(0, 10_000)]
    public int MaxSharesPerLead { get; set; } = MemberAllocation.DefaultMaxSharesPerLead;

    /// <summary>Seconds a worker holds a run in <c>processing</c>; after that another attempt may take it over.</summary>
    [Range(5, 86_400)]
    public int LeaseSeconds { get; set; } = 600;

    /// <summary>Attempts per schedule occurrence before it stays failed (seed 004: retried a bounded number of times).</summary>
    [Range(1, 20)]
    public int ScheduleMaxAttempts { get; set; } = 3;

    /// <summary>Seconds before the first retry of a failed occurrence; each further retry waits twice as long.</summary>
    [Range(0, 86_400)]
    public int ScheduleRetryDelaySeconds { get; set; } = 60;

    /// <summary>Whether the web host runs schedules with Quartz (on PostgreSQL: persistent, clustered job store).</summary>
    public bool SchedulerEnabled { get; set; } = true;

    /// <summary>Seconds between re-plans of the schedule triggers (picks up changes made by the CLI or other nodes).</summary>
    [Range(1, 86_400)]
    public int SchedulerSyncSeconds { get; set; } = 60;

    /// <summary>
    /// Megabytes of member files each node keeps in memory after serving them (a file's bytes never change once stored);
    /// 0 keeps none, so every download reads the stored bytes.
    /// </summary>
    [Range(0, 65_536)]
    public int FileCacheMegabytes { get; set; } = 64;
}

/// <summary>Wiring of the members area: members and tiers, distribution runs, member files.</summary>
public static class MembersModule
{
    /// <summary>The area's services (used by the web host and the CLI).</summary>
    public static IHostApplicationBuilder AddMembers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MembersOptions>().BindConfiguration(MembersOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<MemberDirectory>();
        builder.Services.AddSingleton<ImportMembers>();
        builder.Services.AddSingleton<RunDistribution>();
        builder.Services.AddSingleton<DownloadCounts>();
        builder.Services.AddSingleton<MemberFiles>();
        builder.Services.AddSingleton<DistributionQueries>();
        builder.Services.AddSingleton<DistributionOverview>();
        builder.Services.AddSingleton<ScheduleDirectory>();
        builder.Services.AddSingleton<ScheduledDistribution>();
        return builder;
    }

    /// <summary>
    /// Quartz for schedules (web host only, unless <c>Members:SchedulerEnabled</c> is false). PostgreSQL: persistent job
    /// store, clustered, schema created by Quartz if missing, so each trigger fires on one node. SQLite (one node):
    /// in-memory store. Quartz runs on the host's <see cref="TimeProvider"/> (tests move it with a fake clock).
    /// </summary>
    public static IHostApplicationBuilder AddMembersScheduler(this IHostApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue($"{MembersOptions.Section}:{nameof(MembersOptions.SchedulerEnabled)}", true)) return builder;
        var provider = DataRegistration.ResolveTarget(builder.Configuration).Provider;
        builder.Services.AddSingleton<ScheduleTriggers>();
        builder.Services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = "LeadRouter";
                o.GenerateInstanceId = true;
            });
            if (provider == DatabaseProvider.Postgres)
            {
                q.UsePersistentStore(s =>
                {
                    s.UsePostgres(ds => ds.DataSourceFactory = sp => NpgsqlDataSource.Create(sp.GetRequiredService<DatabaseTarget>().ConnectionString));
                    s.UseClustering();
                    s.UseSystemTextJsonSerializer();
                    s.ProvisionSchema();
                });
            }
            else
            {
                q.UseInMemoryStore();
            }
        });
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        builder.Services.AddHostedService<ScheduleTriggerService>();
        return builder;
    }
}
