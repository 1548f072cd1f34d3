using LeadRouter.Web.Features.Brokers;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LeadRouter.Web.Tests.Brokers;

/// <summary>The endpoint address guard without an allow-list. Only loopback receives traffic here, and only when allowed.</summary>
public sealed class BrokerEndpointGuardTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static EndpointGuard Guard(params string[] allowed) => new(Options.Create(new BrokersOptions { AllowedHosts = [.. allowed] }));

    [Theory]
    [InlineData("http://10.0.0.1/leads")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://localhost:8080/x")]
    [InlineData("http://127.0.0.1/x")]
    [InlineData("http://192.168.1.10/x")]
    [InlineData("http://100.64.0.1/x")]
    [InlineData("http://[::1]/x")]
    [InlineData("http://[fe80::1]/x")]
    [InlineData("http://[::ffff:10.0.0.1]/x")]
    [InlineData("http://224.0.0.1/x")]
    public async Task Internal_addresses_are_refused_when_not_allow_listed(string url)
    {
        Assert.NotNull(await Guard().RefusalAsync(new Uri(url), Ct));
    }

    [Fact]
    public async Task Public_addresses_and_allow_listed_ranges_pass()
    {
        Assert.Null(await Guard().RefusalAsync(new Uri("http://93.184.215.14/x"), Ct));
        Assert.Null(await Guard("10.1.0.0/16").RefusalAsync(new Uri("http://10.1.2.3/x"), Ct));
        Assert.NotNull(await Guard("10.1.0.0/16").RefusalAsync(new Uri("http://10.2.0.1/x"), Ct));
        Assert.Null(await Guard("127.0.0.1").RefusalAsync(new Uri("http://127.0.0.1:9/x"), Ct));
    }

    [Fact]
    public async Task The_connect_callback_refuses_before_connecting_so_a_changed_dns_answer_cannot_reach_an_internal_address()
    {
        await using var receiver = await TestReceiver.StartAsync();
        using var refusing = new HttpClient(Guard().CreateHandler());
        using var allowing = new HttpClient(Guard("127.0.0.1").CreateHandler());

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() =>
            refusing.PostAsync($"http://localhost:{receiver.Url.Port}/x", new StringContent("{}"), Ct));
        var requestsAfterRefusal = receiver.Requests.Count;
        var allowed = await allowing.PostAsync($"http://127.0.0.1:{receiver.Url.Port}/x", new StringContent("{}"), Ct);

        Assert.IsType<EndpointRefusedException>(refused.InnerException);
        Assert.Equal(0, requestsAfterRefusal);
        Assert.Equal(System.Net.HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Redirects_are_not_followed()
    {
        await using var receiver = await TestReceiver.StartAsync(302);
        receiver.ResponseHeaders["Location"] = "http://169.254.169.254/latest/meta-data";
        using var client = new HttpClient(Guard("127.0.0.1").CreateHandler());

        var response = await client.PostAsync(new Uri(receiver.Url, "x"), new StringContent("{}"), Ct);

        Assert.Equal(System.Net.HttpStatusCode.Found, response.StatusCode);
        Assert.Single(receiver.Requests);
    }
}
