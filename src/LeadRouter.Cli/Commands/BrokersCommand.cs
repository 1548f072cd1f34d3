using System.CommandLine;
using System.Globalization;
using LeadRouter.Data;
using LeadRouter.Web.Features.Brokers;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace LeadRouter.Cli.Commands;

/// <summary><c>leadrouter brokers add|list|set|delete|stats|set-api|postback-token|report</c>.</summary>
static class BrokersCommand
{
    public static Command Create()
    {
        var cmd = new Command("brokers", "Manage brokers (external buyers leads are routed to)");
        cmd.Subcommands.Add(Add());
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Set());
        cmd.Subcommands.Add(Delete());
        cmd.Subcommands.Add(Stats());
        cmd.Subcommands.Add(SetApi());
        cmd.Subcommands.Add(BrokerPostbackCommands.PostbackToken());
        cmd.Subcommands.Add(BrokerPostbackCommands.Report());
        return cmd;
    }

    /// <summary>The rule options shared by <c>add</c> and <c>set</c>.</summary>
    sealed class RuleOptions
    {
        public readonly Option<string?> Countries = new("--countries") { Description = "Accepted ISO alpha-2 countries, comma-separated, e.g. AE,SA (empty = all)" };
        public readonly Option<string[]> CountryWeight = new("--country-weight") { Description = "Per-country weight CC=W (repeatable), e.g. AE=60" };
        public readonly Option<decimal?> MinAmount = new("--min-amount") { Description = "Lowest accepted lead amount (inclusive)" };
        public readonly Option<decimal?> MaxAmount = new("--max-amount") { Description = "Highest accepted lead amount (inclusive)" };
        public readonly Option<string?> Currency = new("--currency") { Description = "ISO 4217 currency of the amounts, e.g. USD" };
        public readonly Option<int?> HourCap = new("--hour-cap") { Description = "Most leads per hour (broker's time zone)" };
        public readonly Option<int?> DayCap = new("--day-cap") { Description = "Most leads per day" };
        public readonly Option<int?> MonthCap = new("--month-cap") { Description = "Most leads per calendar month" };
        public readonly Option<string?> TimeZone = new("--time-zone") { Description = "IANA time zone of the cap windows, e.g. Asia/Dubai (default UTC)" };
        public readonly Option<bool?> AutoPush = new("--auto-push") { Description = "Push routed leads to the broker's endpoint" };

        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { Countries, CountryWeight, MinAmount, MaxAmount, Currency, HourCap, DayCap, MonthCap, TimeZone, AutoPush })
                cmd.Options.Add(o);
        }
    }

    static Command Add()
    {
        Argument<string> name = new("name") { Description = "Unique broker name" };
        Option<int> priority = new("--priority") { Description = "0–10, higher = first choice", Required = true };
        Option<int> weight = new("--weight") { Description = "Traffic weight 0–100 within the priority level", Required = true };
        Option<bool> inactive = new("--inactive") { Description = "Add the broker inactive (takes no leads)" };
        var rules = new RuleOptions();
        var cmd = new Command("add", "Add a broker") { name, priority, weight, inactive };
        rules.AddTo(cmd);
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var broker = await s.GetRequiredService<BrokerDirectory>().AddAsync(new NewBroker(
                p.GetValue(name)!, p.GetValue(priority), p.GetValue(weight), SplitCountries(p.GetValue(rules.Countries)),
                CountryWeights(p.GetValue(rules.CountryWeight)), p.GetValue(rules.MinAmount), p.GetValue(rules.MaxAmount),
                p.GetValue(rules.Currency), p.GetValue(rules.HourCap), p.GetValue(rules.DayCap), p.GetValue(rules.MonthCap),
                p.GetValue(rules.TimeZone) ?? "UTC", p.GetValue(rules.AutoPush) ?? false, !p.GetValue(inactive)), ct);
            return CliResult.Ok(new { id = broker.Id, name = broker.Name, broker },
                c => c.MarkupLineInterpolated($"Broker [bold]{broker.Name}[/] added with id {broker.Id}."));
        }));
        return cmd;
    }

    static Command List()
    {
        var cmd = new Command("list", "List brokers, highest priority first");
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var brokers = await s.GetRequiredService<BrokerDirectory>().ListAsync(ct);
            return CliResult.Ok(new { brokers }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("id", "name", "status", "priority", "weight", "countries", "amount", "caps h/d/m", "time zone");
                foreach (var b in brokers)
                    t.AddRow(b.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(b.Name), b.Active ? "active" : "inactive",
                        b.Priority.ToString(CultureInfo.InvariantCulture), b.Weight.ToString(CultureInfo.InvariantCulture),
                        Markup.Escape(b.Countries.Count == 0 ? "all" : string.Join(',', b.Countries)),
                        Markup.Escape($"{b.MinAmount?.ToString(CultureInfo.InvariantCulture) ?? "…"}–{b.MaxAmount?.ToString(CultureInfo.InvariantCulture) ?? "…"}"),
                        $"{Cap(b.HourCap)}/{Cap(b.DayCap)}/{Cap(b.MonthCap)}", Markup.Escape(b.TimeZone));
                c.Write(t);
            });
        }));
        return cmd;
    }

    static Command Set()
    {
        Argument<string> broker = new("broker") { Description = "Broker id or name" };
        Option<string?> name = new("--name") { Description = "New name" };
        Option<int?> priority = new("--priority") { Description = "0–10, higher = first choice" };
        Option<int?> weight = new("--weight") { Description = "Traffic weight 0–100" };
        Option<bool?> active = new("--active") { Description = "true: takes leads; false: takes none" };
        var rules = new RuleOptions();
        var cmd = new Command("set", "Change a broker (a cap or amount of 0 removes it; --countries \"\" accepts all)") { broker, name, priority, weight, active };
        rules.AddTo(cmd);
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var cleared = new HashSet<string>(StringComparer.Ordinal);
            int? Cap(Option<int?> o, string field) { var v = p.GetValue(o); if (v == 0) { cleared.Add(field); return null; } return v; }
            decimal? Amount(Option<decimal?> o, string field) { var v = p.GetValue(o); if (v == 0) { cleared.Add(field); return null; } return v; }
            var countries = p.GetValue(rules.Countries);
            if (countries is { } cs && string.IsNullOrWhiteSpace(cs)) cleared.Add("countries");
            var changes = new BrokerChanges(
                p.GetValue(name), p.GetValue(active), p.GetValue(priority), p.GetValue(weight),
                string.IsNullOrWhiteSpace(countries) ? null : SplitCountries(countries),
                p.GetValue(rules.CountryWeight) is { Length: > 0 } cw ? CountryWeights(cw) : null,
                Amount(rules.MinAmount, "minAmount"), Amount(rules.MaxAmount, "maxAmount"), p.GetValue(rules.Currency),
                Cap(rules.HourCap, "hourCap"), Cap(rules.DayCap, "dayCap"), Cap(rules.MonthCap, "monthCap"),
                p.GetValue(rules.TimeZone), p.GetValue(rules.AutoPush), cleared);
            var dto = await s.GetRequiredService<BrokerDirectory>().SetAsync(p.GetValue(broker)!, changes, ct)
                ?? throw new InputException("broker", $"No broker '{p.GetValue(broker)}'.");
            return CliResult.Ok(new { id = dto.Id, name = dto.Name, broker = dto },
                c => c.MarkupLineInterpolated($"Broker [bold]{dto.Name}[/] saved: {(dto.Active ? "active" : "inactive")}, priority {dto.Priority}, weight {dto.Weight}."));
        }));
        return cmd;
    }

    static Command Delete()
    {
        Argument<string> broker = new("broker") { Description = "Broker id or name" };
        var cmd = new Command("delete", "Delete a broker (its routing history stays)") { broker };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var key = p.GetValue(broker)!;
            if (!await s.GetRequiredService<BrokerDirectory>().DeleteAsync(key, ct)) throw new InputException("broker", $"No broker '{key}'.");
            return CliResult.Ok(new { deleted = key }, c => c.MarkupLineInterpolated($"Broker [bold]{key}[/] deleted."));
        }));
        return cmd;
    }

    static Command Stats()
    {
        var cmd = new Command("stats", "Leads per broker: this hour / day / month against caps, total, share against target");
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var brokers = await s.GetRequiredService<BrokerStats>().GetAsync(null, ct);
            return CliResult.Ok(new { brokers }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("name", "priority", "hour", "day", "month", "total", "share", "target");
                foreach (var b in brokers)
                    t.AddRow(Markup.Escape(b.Name), b.Priority.ToString(CultureInfo.InvariantCulture),
                        $"{b.Hour}/{Cap(b.HourCap)}", $"{b.Day}/{Cap(b.DayCap)}", $"{b.Month}/{Cap(b.MonthCap)}",
                        b.Total.ToString("N0", CultureInfo.InvariantCulture), b.Share.ToString("P1", CultureInfo.InvariantCulture),
                        b.TargetShare.ToString("P1", CultureInfo.InvariantCulture));
                c.Write(t);
            });
        }));
        return cmd;
    }

    static Command SetApi()
    {
        Argument<string> broker = new("broker") { Description = "Broker id or name" };
        Option<string> endpoint = new("--endpoint") { Description = "Delivery endpoint: absolute http(s) URL", Required = true };
        Option<string?> apiKey = new("--api-key") { Description = "The endpoint's API key (kept encrypted; \"\" removes it)" };
        Option<string> method = new("--method") { Description = "POST or PUT", DefaultValueFactory = _ => "POST" };
        Option<string[]> header = new("--header") { Description = "Extra request header \"Name: value\" (repeatable)" };
        Option<string?> apiKeyHeader = new("--api-key-header") { Description = "Header carrying the API key (default X-API-Key)" };
        Option<bool> rotate = new("--rotate-secret") { Description = "Make a new signing secret (shown once)" };
        Option<bool?> failover = new("--failover") { Description = "true: when a delivery dies, route the lead to the next eligible broker" };
        Option<string[]> fieldMap = new("--field-map")
        {
            Description = "Push body field mapping leadField=receiverName (repeatable, in body order), e.g. email=contact_email, attributes.campaign=campaign_id; none = the whole lead",
        };
        var cmd = new Command("set-api", "Set a broker's delivery endpoint, API key and headers (seed 003's API configuration)")
            { broker, endpoint, apiKey, method, header, apiKeyHeader, rotate, failover, fieldMap };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var h in p.GetValue(header) ?? [])
            {
                var colon = h.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0) throw new InputException("header", $"'{h}' is not \"Name: value\".");
                headers[h[..colon].Trim()] = h[(colon + 1)..].Trim();
            }
            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var f in p.GetValue(fieldMap) ?? [])
            {
                var equals = f.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0) throw new InputException("fieldMap", $"'{f}' is not leadField=receiverName.");
                if (!fields.TryAdd(f[..equals].Trim(), f[(equals + 1)..].Trim()))
                    throw new InputException($"fieldMap.{f[..equals].Trim()}", "This lead field is mapped twice.");
            }

            long id;
            await using (var db = await s.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<LeadRouterDb>>().CreateDbContextAsync(ct))
                id = (await BrokerDirectory.FindAsync(db, p.GetValue(broker)!, ct)).Id;
            var config = await s.GetRequiredService<BrokerApiConfig>().SetAsync(new BrokerApiConfigRequest(
                id, p.GetValue(endpoint), p.GetValue(apiKey), p.GetValue(method), headers, p.GetValue(apiKeyHeader), p.GetValue(rotate), p.GetValue(failover),
                fields), ct)
                ?? throw new InputException("broker", $"No broker '{p.GetValue(broker)}'.");
            return CliResult.Ok(config, c =>
            {
                c.MarkupLineInterpolated($"Broker {config.BrokerId} pushes to [bold]{config.Endpoint}[/] ({config.Method}); API key {config.ApiKey ?? "none"}.");
                if (config.NewSigningSecret is { } secret)
                    c.MarkupLineInterpolated($"Signing secret (shown once, give it to the receiver): [bold]{secret}[/]");
            });
        }));
        return cmd;
    }

    static string Cap(int? cap) => cap?.ToString(CultureInfo.InvariantCulture) ?? "∞";

    static IReadOnlyList<string>? SplitCountries(string? countries) =>
        countries?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <exception cref="InputException">An entry that is not CC=W with a whole number W (field <c>countryWeights</c>).</exception>
    static IReadOnlyDictionary<string, int>? CountryWeights(string[]? entries)
    {
        if (entries is null || entries.Length == 0) return null;
        var map = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in entries.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var kv = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !int.TryParse(kv[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var w))
                throw new InputException("countryWeights", $"'{entry}' is not COUNTRY=WEIGHT (e.g. AE=60).");
            map[kv[0]] = w;
        }

        return map;
    }
}

/// <summary><c>leadrouter sources set|list</c>: where each source's leads go.</summary>
static class SourcesCommand
{
    public static Command Create()
    {
        var cmd = new Command("sources", "Lead sources and where their leads go (agents or brokers)");
        Argument<string> source = new("source") { Description = "Source name, e.g. META (created if new)" };
        Option<string> route = new("--route") { Description = "agents (default) or brokers", Required = true };
        route.AcceptOnlyFromAmong("agents", "brokers");
        var set = new Command("set", "Choose where a source's leads go") { source, route };
        set.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var target = p.GetValue(route) == "brokers" ? Data.Brokers.RouteTarget.Brokers : Data.Brokers.RouteTarget.Agents;
            var dto = await s.GetRequiredService<SourceRoutes>().SetAsync(p.GetValue(source)!, target, ct);
            return CliResult.Ok(new { sourceId = dto.SourceId, source = dto.Source, route = dto.RouteTo },
                c => c.MarkupLineInterpolated($"Source [bold]{dto.Source}[/] routes to {dto.RouteTo.ToString().ToLowerInvariant()}."));
        }));
        var list = new Command("list", "List sources and their route");
        list.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var sources = await s.GetRequiredService<SourceRoutes>().ListAsync(ct);
            return CliResult.Ok(new { sources }, c =>
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("id", "source", "route");
                foreach (var x in sources) t.AddRow(x.SourceId.ToString(CultureInfo.InvariantCulture), Markup.Escape(x.Source), x.RouteTo.ToString().ToLowerInvariant());
                c.Write(t);
            });
        }));
        cmd.Subcommands.Add(set);
        cmd.Subcommands.Add(list);
        return cmd;
    }
}

/// <summary><c>leadrouter route [--source S]</c>: routes waiting leads of broker-routed sources now.</summary>
static class RouteCommand
{
    public static Command Create()
    {
        Option<string?> source = new("--source") { Description = "Only this source (default: every source set to route to brokers)" };
        var cmd = new Command("route", "Route waiting leads to brokers") { source };
        cmd.SetAction((p, ct) => CliRun.Run(p, ct, async (s, _) =>
        {
            var router = s.GetRequiredService<RouteLeads>();
            RoutingRun run;
            if (p.GetValue(source) is { } name)
            {
                var id = (await s.GetRequiredService<SourceRoutes>().ListAsync(ct))
                    .FirstOrDefault(x => string.Equals(x.Source.Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase))?.SourceId
                    ?? throw new InputException("source", $"No source '{name}'.");
                run = await router.RouteSourcesAsync([id], Data.Brokers.RoutingTrigger.Manual, ct);
            }
            else run = await router.RouteSourcesAsync(null, Data.Brokers.RoutingTrigger.Manual, ct);
            return CliResult.Ok(new { routed = run.Routed, unrouted = run.Unrouted, byBroker = run.ByBroker, unroutedReasons = run.UnroutedReasons },
                c => RouteView.Render(c, run));
        }));
        return cmd;
    }
}

/// <summary>Rich rendering of a routing run.</summary>
static class RouteView
{
    public static void Render(IAnsiConsole c, RoutingRun run)
    {
        c.MarkupLineInterpolated($"Routed [green]{run.Routed:N0}[/] leads to brokers, {run.Unrouted:N0} unrouted.");
        foreach (var (broker, n) in run.ByBroker) c.MarkupLineInterpolated($"  {broker}: {n:N0}");
        foreach (var (reason, n) in run.UnroutedReasons) c.MarkupLineInterpolated($"  [yellow]unrouted[/] {n:N0}: {reason}");
    }
}
