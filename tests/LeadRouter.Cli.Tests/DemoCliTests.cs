using LeadRouter.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace LeadRouter.Cli.Tests;

[Collection(nameof(CliCollection))]
public sealed class DemoCliTests : IDisposable
{
    readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task The_demo_names_the_dashboard_and_a_working_login_for_each_role_and_gives_the_member_a_file()
    {
        var demo = await cli.RunAsync("demo", "--no-serve", "--urls", "http://127.0.0.1:5099", "--json");

        Assert.Equal(0, demo.ExitCode);
        Assert.Equal("http://127.0.0.1:5099", demo.Json.GetProperty("dashboard").GetString());
        var logins = demo.Json.GetProperty("logins").EnumerateArray()
            .Select(l => (Role: l.GetProperty("role").GetString()!, Email: l.GetProperty("email").GetString()!, Password: l.GetProperty("password").GetString()!)).ToList();
        Assert.Equal(["Admin", "Agent", "Member"], logins.Select(l => l.Role));
        foreach (var (_, email, password) in logins)
            Assert.Contains($"{email} / {password}", demo.Stderr, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:5099", demo.Stderr, StringComparison.Ordinal);
        Assert.True(demo.Json.GetProperty("assigned").GetInt32() > 0);
        Assert.Equal(150, demo.Json.GetProperty("memberShares").GetInt32());

        await using (var app = LeadRouterWebApp.Build(new WebApplicationOptions { Args = [] }, b => b.Configuration["Db"] = cli.Db))
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            foreach (var (role, email, password) in logins)
            {
                var user = await users.FindByEmailAsync(email);
                Assert.NotNull(user);
                Assert.True(await users.CheckPasswordAsync(user, password), $"{email} signs in");
                Assert.Equal([role], await users.GetRolesAsync(user));
            }
        }

        var files = await cli.RunAsync("files", "list", "--member", "alice", "--json");
        Assert.Equal(0, files.ExitCode);
        var file = Assert.Single(files.Json.GetProperty("files").EnumerateArray());
        Assert.Equal(150, file.GetProperty("leadCount").GetInt32());
    }
}
