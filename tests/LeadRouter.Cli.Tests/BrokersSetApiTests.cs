namespace LeadRouter.Cli.Tests;

[Collection(nameof(CliCollection))]
public sealed class BrokersSetApiTests : IDisposable
{
    readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Set_api_stores_the_endpoint_masks_the_key_and_shows_the_new_secret_once()
    {
        await cli.RunAsync("brokers", "add", "Acme", "--priority", "5", "--weight", "10", "--json");

        var first = await cli.RunAsync("brokers", "set-api", "Acme", "--endpoint", "https://93.184.215.14/leads",
            "--api-key", "sk-live-abcdef987654", "--header", "X-Campaign: gcc", "--failover", "true", "--json");
        var second = await cli.RunAsync("brokers", "set-api", "Acme", "--endpoint", "https://93.184.215.14/v2", "--json");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal("****7654", first.Json.GetProperty("apiKey").GetString());
        Assert.Equal("gcc", first.Json.GetProperty("headers").GetProperty("X-Campaign").GetString());
        Assert.True(first.Json.GetProperty("failover").GetBoolean());
        Assert.StartsWith("whsec_", first.Json.GetProperty("newSigningSecret").GetString());
        Assert.DoesNotContain("sk-live-abcdef987654", first.Stdout);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal("****7654", second.Json.GetProperty("apiKey").GetString()); // kept when not given
        Assert.Equal(System.Text.Json.JsonValueKind.Null, second.Json.GetProperty("newSigningSecret").ValueKind);
    }

    [Fact]
    public async Task Set_api_refuses_an_internal_endpoint_and_a_bad_header_with_exit_2()
    {
        await cli.RunAsync("brokers", "add", "Beta", "--priority", "5", "--weight", "10", "--json");

        var metadata = await cli.RunAsync("brokers", "set-api", "Beta", "--endpoint", "http://169.254.169.254/latest", "--json");
        var header = await cli.RunAsync("brokers", "set-api", "Beta", "--endpoint", "https://93.184.215.14/x", "--header", "no colon", "--json");

        Assert.Equal(2, metadata.ExitCode);
        Assert.Equal("endpoint", metadata.Json.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(2, header.ExitCode);
        Assert.Equal("header", header.Json.GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task Set_api_stores_a_field_map_in_order_and_names_an_unknown_lead_field()
    {
        await cli.RunAsync("brokers", "add", "Gamma", "--priority", "5", "--weight", "10", "--json");

        var mapped = await cli.RunAsync("brokers", "set-api", "Gamma", "--endpoint", "https://93.184.215.14/leads",
            "--field-map", "phone=msisdn", "--field-map", "email=contact_email", "--field-map", "attributes.campaign=campaign_id", "--json");
        var unknown = await cli.RunAsync("brokers", "set-api", "Gamma", "--endpoint", "https://93.184.215.14/leads",
            "--field-map", "favourite=colour", "--json");
        var cleared = await cli.RunAsync("brokers", "set-api", "Gamma", "--endpoint", "https://93.184.215.14/leads", "--json");

        Assert.Equal(0, mapped.ExitCode);
        Assert.Equal([("phone", "msisdn"), ("email", "contact_email"), ("attributes.campaign", "campaign_id")],
            mapped.Json.GetProperty("fieldMap").EnumerateObject().Select(p => (p.Name, p.Value.GetString())));
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("fieldMap.favourite", unknown.Json.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.Json.GetProperty("fieldMap").ValueKind);
    }
}
