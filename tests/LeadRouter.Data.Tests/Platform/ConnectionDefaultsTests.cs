using Npgsql;

namespace LeadRouter.Data.Tests.Platform;

/// <summary>The PostgreSQL connection string the context opens: automatic preparation on unless the user set it.</summary>
public sealed class ConnectionDefaultsTests
{
    [Fact]
    public void Automatic_preparation_is_added_when_the_connection_string_does_not_set_it()
    {
        var opened = new NpgsqlConnectionStringBuilder(DataRegistration.WithAutoPrepare("Host=db.example;Username=app;Password=secret;Database=lr"));

        Assert.Equal((64, 2), (opened.MaxAutoPrepare, opened.AutoPrepareMinUsages));
        Assert.Equal(("db.example", "app", "secret", "lr"), (opened.Host, opened.Username, opened.Password, opened.Database));
    }

    [Theory]
    [InlineData("Host=db.example;Max Auto Prepare=0", 0, 5)]
    [InlineData("Host=db.example;maxautoprepare=10", 10, 5)]
    [InlineData("Host=db.example;Auto Prepare Min Usages=7", 64, 7)]
    public void A_setting_the_user_gave_is_kept(string given, int maxAutoPrepare, int minUsages)
    {
        var opened = new NpgsqlConnectionStringBuilder(DataRegistration.WithAutoPrepare(given));

        Assert.Equal((maxAutoPrepare, minUsages), (opened.MaxAutoPrepare, opened.AutoPrepareMinUsages));
    }
}
