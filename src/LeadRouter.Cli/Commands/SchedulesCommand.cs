using System.CommandLine;
using LeadRouter.Data;
using LeadRouter.Domain.Members;
using LeadRouter.Web.Features.Members;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter schedules add|list|set|delete|history</c>: weekly or monthly distribution runs (seed 004).</summary>
static class SchedulesCommand
{
    public static Command Create()
    {
        var cmd = new Command("schedules", "Manage distribution schedules (weekly or monthly runs over all active member imports)");
        cmd.Subcommands.Add(Add());
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Set());
        cmd.Subcommands.Add(Delete());
        cmd.Subcommands.Add(History());
        return cmd;
    }

    static (Option<ScheduleFrequency?> Frequency, Option<DayOfWeek?> Day, Option<int?> DayOfMonth, Option<string?> Time, Option<int?> Min, Option<bool?> Enabled) Options() => (
        new("--frequency") { Description = "weekly or monthly" },
        new("--day-of-week") { Description = "Day of a weekly schedule, e.g. Monday" },
        new("--day-of-month") { Description = "Day (1-31) of a monthly schedule; 29-31 fall on the last day of shorter months" },
        new("--time") { Description = "Time of day in UTC, HH:mm" },
        new("--min-leads") { Description = "Skip the run when fewer leads can still be shared" },
        new("--enabled") { Description = "true or false" });

    static Command Add()
    {
        Argument<string> name = new("name") { Description = "Unique schedule name" };
        var (frequency, day, dom, time, min, enabled) = Options();
        var cmd = new Command("add", "Add a schedule") { name, frequency, day, dom, time, min, enabled };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var dto = await s.GetRequiredService<ScheduleDirectory>().AddAsync(new NewSchedule(p.GetValue(name)!,
                p.GetValue(frequency) ?? throw new InputException("frequency", "--frequency weekly|monthly is required."),
                p.GetValue(day), p.GetValue(dom), p.GetValue(time) ?? throw new InputException("time", "--time HH:mm is required."),
                p.GetValue(min) ?? 0, p.GetValue(enabled) ?? true), ct);
            return CliResult.Ok(dto, c => Render(c, [dto]));
        }));
        return cmd;
    }

    static Command List()
    {
        var cmd = new Command("list", "List schedules with their next run");
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var list = await s.GetRequiredService<ScheduleDirectory>().ListAsync(ct);
            return CliResult.Ok(new { schedules = list }, c => Render(c, list));
        }));
        return cmd;
    }

    static Command Set()
    {
        Argument<string> schedule = new("schedule") { Description = "Schedule id or name" };
        Option<string?> name = new("--name") { Description = "New name" };
        var (frequency, day, dom, time, min, enabled) = Options();
        var cmd = new Command("set", "Change a schedule") { schedule, name, frequency, day, dom, time, min, enabled };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var dto = await s.GetRequiredService<ScheduleDirectory>().SetAsync(p.GetValue(schedule)!, new ScheduleChanges(p.GetValue(name),
                p.GetValue(frequency), p.GetValue(day), p.GetValue(dom), p.GetValue(time), p.GetValue(min), p.GetValue(enabled)), ct)
                ?? throw new InputException("schedule", $"No schedule '{p.GetValue(schedule)}'.");
            return CliResult.Ok(dto, c => Render(c, [dto]));
        }));
        return cmd;
    }

    static Command Delete()
    {
        Argument<string> schedule = new("schedule") { Description = "Schedule id or name" };
        var cmd = new Command("delete", "Delete a schedule (its history stays)") { schedule };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            if (!await s.GetRequiredService<ScheduleDirectory>().DeleteAsync(p.GetValue(schedule)!, ct))
                throw new InputException("schedule", $"No schedule '{p.GetValue(schedule)}'.");
            return CliResult.Ok(new { deleted = p.GetValue(schedule) }, c => c.MarkupLineInterpolated($"Schedule {p.GetValue(schedule)} deleted."));
        }));
        return cmd;
    }

    static Command History()
    {
        Option<int> limit = new("--limit") { Description = "Most rows (1-100)", DefaultValueFactory = _ => 20 };
        var cmd = new Command("history", "Executions of schedules, newest first") { limit };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var rows = await s.GetRequiredService<ScheduleDirectory>().HistoryAsync(null, p.GetValue(limit), ct);
            return CliResult.Ok(new { executions = rows }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("occurrence (UTC)", "schedule", "status", "shares", "members", "attempts", "note");
                foreach (var r in rows)
                    t.AddRow($"{r.OccurrenceAt:yyyy-MM-dd HH:mm}", Markup.Escape(r.ScheduleName), r.Status.ToString().ToLowerInvariant(), $"{r.Shares:N0}",
                        $"{r.MembersServed}", $"{r.Attempts}", Markup.Escape(r.SkipReason ?? r.Error ?? ""));
                c.Write(t);
            });
        }));
        return cmd;
    }

    static void Render(IAnsiConsole c, IReadOnlyList<ScheduleDto> list)
    {
        var t = new Table().Border(TableBorder.Rounded).AddColumns("id", "name", "when (UTC)", "min leads", "enabled", "next run (UTC)");
        foreach (var s in list)
            t.AddRow($"{s.Id}", Markup.Escape(s.Name),
                s.Frequency == ScheduleFrequency.Weekly ? $"weekly {s.DayOfWeek} {s.TimeUtc}" : $"monthly day {s.DayOfMonth} {s.TimeUtc}",
                $"{s.MinLeadsRequired}", s.Enabled ? "yes" : "no", s.NextRunAt is { } n ? $"{n:yyyy-MM-dd HH:mm}" : "—");
        c.Write(t);
    }
}
