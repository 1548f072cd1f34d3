using System.CommandLine;
using System.Globalization;
using LeadRouter.Data;
using LeadRouter.Web.Features.Brokers;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter brokers postback-token ID</c> and <c>leadrouter brokers report</c>.</summary>
static class BrokerPostbackCommands
{
    public static Command PostbackToken()
    {
        Argument<string> broker = new("broker") { Description = "Broker id or name" };
        var cmd = new Command("postback-token", "Make a new postback token for a broker (shown once; the previous token stops working)") { broker };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            long id;
            await using (var db = await s.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<LeadRouterDb>>().CreateDbContextAsync(ct))
                id = (await BrokerDirectory.FindAsync(db, p.GetValue(broker)!, ct)).Id;
            var token = await s.GetRequiredService<PostbackTokens>().IssueAsync(id, ct)
                ?? throw new InputException("broker", $"No broker '{p.GetValue(broker)}'.");
            return CliResult.Ok(new { brokerId = id, token }, c =>
            {
                c.MarkupLineInterpolated($"Postback token for broker {id} (shown once, give it to the broker): [bold]{token}[/]");
                c.MarkupLineInterpolated($"Postback URL: /api/v1/postbacks/{id}?token={token}&leadId=…&event=…&eventId=…");
            });
        }));
        return cmd;
    }

    public static Command Report()
    {
        Option<DateOnly> from = new("--from") { Description = "First day (UTC), e.g. 2025-01-01", Required = true };
        Option<DateOnly> to = new("--to") { Description = "Last day (UTC, inclusive)", Required = true };
        Option<string> groupBy = new("--group-by") { Description = "day, week or month", DefaultValueFactory = _ => "day" };
        groupBy.AcceptOnlyFromAmong("day", "week", "month");
        Option<bool> csv = new("--csv") { Description = "Print the report as CSV on stdout" };
        var cmd = new Command("report", "Broker performance per period: routed, delivered, response times, postback rates, revenue, caps, share")
            { from, to, groupBy, csv };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var report = await s.GetRequiredService<BrokerReport>().RunAsync(
                p.GetValue(from), p.GetValue(to), BrokerReportEndpoints.ParseGrouping(p.GetValue(groupBy)), ct);
            return CliResult.Ok(report, c =>
            {
                if (p.GetValue(csv)) { c.Profile.Out.Writer.Write(report.ToCsv()); return; }
                if (report.Brokers.Count == 0) { c.MarkupLine("No leads were routed to brokers in this range."); return; }
                var t = new Table().Border(TableBorder.Rounded).AddColumns("broker", "period", "routed", "delivered", "success", "avg ms", "p95 ms",
                    "accepted", "rejected", "dup", "conv", "deposits", "revenue", "cap use", "share", "target");
                foreach (var r in report.Brokers)
                    t.AddRow(Markup.Escape(r.Name ?? r.Key), r.Period.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), N(r.Routed), N(r.Delivered),
                        P(r.DeliverySuccessRate), r.AvgResponseMs?.ToString("0.0", CultureInfo.InvariantCulture) ?? "—",
                        r.P95ResponseMs?.ToString(CultureInfo.InvariantCulture) ?? "—", P(r.AcceptedRate), P(r.RejectedRate), P(r.DuplicateRate),
                        P(r.ConversionRate), N(r.Deposits),
                        Markup.Escape(string.Join(", ", r.Revenue.Select(x => $"{x.Currency} {x.Amount.ToString(CultureInfo.InvariantCulture)}"))),
                        r.CapUtilisation is { } u ? P(u) : "—", r.Share is { } sh ? P(sh) : "—", r.TargetShare is { } ts ? P(ts) : "—");
                c.Write(t);
            });
        }));
        return cmd;
    }

    static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    static string P(double rate) => rate.ToString("P1", CultureInfo.InvariantCulture);
}
