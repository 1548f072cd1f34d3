namespace LeadRouter.Cli.Tests;

[Collection(nameof(CliCollection))]
public sealed class CliContractTests : IDisposable
{
    readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Agents_add_prints_exactly_one_json_object_with_id_and_name()
    {
        var r = await cli.RunAsync("agents", "add", "John CRE", "--email", "john@example.com", "--weight", "2", "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("John CRE", r.Json.GetProperty("name").GetString());
        Assert.True(r.Json.GetProperty("id").GetInt64() > 0);
        Assert.Single(r.Stdout.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_usage_error_exits_2_with_a_json_error()
    {
        var r = await cli.RunAsync("agents", "add", "--weight", "abc", "--json");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("usage", r.Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Bad_values_exit_2_naming_the_field_and_change_nothing()
    {
        var r = await cli.RunAsync("agents", "add", "Zed", "--weight", "0", "--json");
        var list = await cli.RunAsync("agents", "list", "--json");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("weight", r.Json.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(0, list.Json.GetProperty("agents").GetArrayLength());
    }

    [Fact]
    public async Task A_missing_file_exits_2()
    {
        var r = await cli.RunAsync("import", "nope.csv", "--source", "X", "--json");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not found", r.Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Pools_set_with_an_unknown_agent_exits_2()
    {
        await cli.RunAsync("agents", "add", "Ann", "--json");

        var r = await cli.RunAsync("pools", "set", "--source", "META", "--agents", "Ann,Ghost", "--json");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Ghost", r.Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Stats_lists_the_pool_agents_with_zero_counts_and_the_next_in_line()
    {
        await cli.RunAsync("agents", "add", "Ann", "--json");
        await cli.RunAsync("agents", "add", "Bob", "--json");
        await cli.RunAsync("pools", "set", "--source", "Google", "--agents", "Ann,Bob", "--json");

        var r = await cli.RunAsync("stats", "--source", "google", "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("Google", r.Json.GetProperty("source").GetString());
        Assert.Equal(["Ann:0", "Bob:0"], r.Json.GetProperty("agents").EnumerateArray().Select(a => $"{a.GetProperty("name").GetString()}:{a.GetProperty("count").GetInt64()}"));
        Assert.Equal(("Ann", 0L), (r.Json.GetProperty("next").GetString(), r.Json.GetProperty("spread").GetInt64()));
    }

    [Fact]
    public async Task A_postgres_url_that_is_not_a_url_is_bad_input()
    {
        var r = await cli.RunAsync("agents", "list", "--db", "postgres://", "--json");

        Assert.Equal(2, r.ExitCode);
    }
}

[CollectionDefinition(nameof(CliCollection), DisableParallelization = true)]
public sealed class CliCollection;
