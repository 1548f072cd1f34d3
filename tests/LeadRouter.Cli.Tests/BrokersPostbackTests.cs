namespace LeadRouter.Cli.Tests;

[Collection(nameof(CliCollection))]
public sealed class BrokersPostbackTests : IDisposable
{
    readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Postback_token_prints_a_new_token_each_time_and_refuses_an_unknown_broker()
    {
        await cli.RunAsync("brokers", "add", "Acme", "--priority", "5", "--weight", "10", "--json");

        var first = await cli.RunAsync("brokers", "postback-token", "Acme", "--json");
        var second = await cli.RunAsync("brokers", "postback-token", "Acme", "--json");
        var unknown = await cli.RunAsync("brokers", "postback-token", "Nobody", "--json");

        Assert.Equal((0, 0), (first.ExitCode, second.ExitCode));
        Assert.StartsWith("pbt_", first.Json.GetProperty("token").GetString());
        Assert.NotEqual(first.Json.GetProperty("token").GetString(), second.Json.GetProperty("token").GetString());
        Assert.Equal(2, unknown.ExitCode);
    }

    [Fact]
    public async Task Report_prints_json_or_csv_and_refuses_a_reversed_range()
    {
        var json = await cli.RunAsync("brokers", "report", "--from", "2025-01-01", "--to", "2025-01-31", "--group-by", "week", "--json");
        var csv = await cli.RunAsync("brokers", "report", "--from", "2025-01-01", "--to", "2025-01-31", "--csv");
        var reversed = await cli.RunAsync("brokers", "report", "--from", "2025-02-01", "--to", "2025-01-01", "--json");

        Assert.Equal(0, json.ExitCode);
        Assert.Equal("week", json.Json.GetProperty("groupBy").GetString());
        Assert.Equal(0, csv.ExitCode);
        Assert.StartsWith("dimension,key,name,period,routed,delivered", csv.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, reversed.ExitCode);
    }
}
