using LeadRouter.Web.Features.Brokers;

namespace LeadRouter.Web.Tests.Brokers;

public sealed class BrokerWebhookSignatureTests
{
    // The example of the Standard Webhooks specification.
    const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const string Id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const long Timestamp = 1614265330;
    const string Body = "{\"test\": 2432232314}";

    [Fact]
    public void Signing_matches_the_specification_example()
    {
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", WebhookSignature.Sign(Secret, Id, Timestamp, Body));
    }

    [Fact]
    public void Verification_accepts_any_listed_signature_and_refuses_a_changed_body()
    {
        var signature = WebhookSignature.Sign(Secret, Id, Timestamp, Body);

        Assert.True(WebhookSignature.Verify(Secret, Id, Timestamp, Body, "v1,bm90LXRoaXM= " + signature));
        Assert.False(WebhookSignature.Verify(Secret, Id, Timestamp, Body + " ", signature));
        Assert.False(WebhookSignature.Verify(Secret, Id, Timestamp + 1, Body, signature));
    }
}
