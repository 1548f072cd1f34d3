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
