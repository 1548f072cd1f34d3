namespace LeadRouter.Cli.Tests;

[Collection(nameof(CliCollection))]
public sealed class MembersCliTests : IDisposable
{
    readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Outbox_list_shows_the_e_mails_a_run_wrote()
    {
        await cli.RunAsync("members", "add", "ann", "--email", "ann@example.com", "--tier", "Bronze", "--json");
        var file = cli.File("leads.csv", "Name,Email,Address\nA,a@example.com,1 Main St\nB,b@example.com,2 Main St\n");
        var import = await cli.RunAsync("import", file, "--for-members", "--json");
        var run = await cli.RunAsync("distribute", import.Json.GetProperty("importId").GetInt64().ToString(), "--json");

        var r = await cli.RunAsync("outbox", "list", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(0, r.ExitCode);
        var message = Assert.Single(r.Json.GetProperty("messages").EnumerateArray());
        Assert.Equal("ann@example.com", message.GetProperty("to").GetString());
        Assert.Equal("New Leads Available - 2 Leads", message.GetProperty("subject").GetString());
        Assert.Equal("pending", message.GetProperty("status").GetString());
        Assert.Equal(0, message.GetProperty("attempts").GetInt32());
        Assert.EndsWith("@localhost", message.GetProperty("messageId").GetString(), StringComparison.Ordinal);
    }
}

[Collection(nameof(CliCollection))]
public sealed class MembersImportCliTests : IDisposable
{
    readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Members_import_adds_and_updates_by_username()
    {
        await cli.RunAsync("members", "add", "old", "--email", "old@example.com", "--tier", "Bronze", "--json");
        var file = cli.File("m.csv", "username,email,tier,suspended\nnew1,new1@example.com,Gold,\nold,old2@example.com,silver,yes\n");

        var r = await cli.RunAsync("members", "import", file, "--json");
        var list = await cli.RunAsync("members", "list", "--json");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(1, r.Json.GetProperty("added").GetInt32());
        Assert.Equal(1, r.Json.GetProperty("updated").GetInt32());
        Assert.Equal(0, r.Json.GetProperty("rejected").GetInt32());
        Assert.Empty(r.Json.GetProperty("errors").EnumerateArray());
        var old = list.Json.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("username").GetString() == "old");
        Assert.Equal("Silver", old.GetProperty("tier").GetString());
        Assert.True(old.GetProperty("suspended").GetBoolean());
    }

    [Fact]
    public async Task A_file_with_bad_rows_is_rejected_whole_listing_every_problem()
    {
        var file = cli.File("m.csv", "username,email,tier\nok,ok@example.com,Bronze\nbad name,x,Platinum\nok,ok2@example.com,Gold\n");

        var r = await cli.RunAsync("members", "import", file, "--json");
        var list = await cli.RunAsync("members", "list", "--json");
        var skipped = await cli.RunAsync("members", "import", file, "--skip-invalid", "--json");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal(0, r.Json.GetProperty("added").GetInt32());
        Assert.Equal(2, r.Json.GetProperty("rejected").GetInt32());
        var errors = r.Json.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("row").GetInt32(), e.GetProperty("column").GetString())).ToList();
        Assert.Equal([(3, "username"), (3, "email"), (3, "tier"), (4, "username")], errors);
        Assert.Empty(list.Json.GetProperty("members").EnumerateArray());
        Assert.Equal(0, skipped.ExitCode);
        Assert.Equal(1, skipped.Json.GetProperty("added").GetInt32());
        Assert.Equal(2, skipped.Json.GetProperty("rejected").GetInt32());
    }
}
