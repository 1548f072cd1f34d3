using LeadRouter.Domain.Brokers;

namespace LeadRouter.Domain.Tests.Brokers;

public sealed class LeadFieldMapTests
{
    static KeyValuePair<string, string?> E(string key, string? name) => KeyValuePair.Create(key, name);

    [Fact]
    public void A_mapping_keeps_its_order_canonical_field_names_and_attributes_as_written()
    {
        var check = LeadFieldMap.Check([E("Email", "contact_email"), E("phone", " msisdn "), E("attributes.Campaign", "campaign_id")]);

        Assert.True(check.Valid);
        Assert.Equal([("email", null, "contact_email"), ("phone", null, "msisdn"), ("attributes", "Campaign", "campaign_id")],
            check.Map!.Entries.Select(e => (e.Field, e.Attribute, e.Name)));
        Assert.Equal(["email", "phone", "attributes.Campaign"], check.Map.Entries.Select(e => e.Key));
    }

    [Fact]
    public void No_entries_mean_no_mapping()
    {
        Assert.Null(LeadFieldMap.Check(null).Map);
        Assert.Null(LeadFieldMap.Check([]).Map);
        Assert.True(LeadFieldMap.Check([]).Valid);
    }

    [Fact]
    public void Every_problem_is_named_by_its_key()
    {
        var check = LeadFieldMap.Check([
            E("email", "to"), E("favouriteColour", "colour"), E("phone", ""), E("name", "to"), E("EMAIL", "mail"), E("attributes.", "x"),
        ]);

        Assert.False(check.Valid);
        Assert.Null(check.Map);
        Assert.Equal(["fieldMap.EMAIL", "fieldMap.attributes.", "fieldMap.favouriteColour", "fieldMap.name", "fieldMap.phone"],
            check.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("Unknown lead field", check.Errors["fieldMap.favouriteColour"]);
        Assert.Contains("'to'", check.Errors["fieldMap.name"]);
    }

    [Fact]
    public void More_than_the_maximum_number_of_entries_is_refused()
    {
        var entries = Enumerable.Range(0, LeadFieldMap.MaxEntries + 1).Select(i => E($"attributes.a{i}", $"n{i}")).ToList();

        Assert.Equal(["fieldMap"], LeadFieldMap.Check(entries).Errors.Keys);
    }
}
