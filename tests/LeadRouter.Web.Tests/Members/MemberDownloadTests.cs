using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LeadRouter.Data;
using LeadRouter.Data.Members;
using LeadRouter.Web.Features.Accounts;
using LeadRouter.Web.Features.Members;
using LeadRouter.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using static LeadRouter.Web.Tests.Members.MemberSeeding;

namespace LeadRouter.Web.Tests.Members;

/// <summary>Seed 002's member routes and the admin distribute route through HTTP.</summary>
public abstract class MemberDownloadTests<TApp>(TApp app) : AppTests<TApp>(app) where TApp : LeadRouterApp
{
    /// <summary>A member with a login; returns its id and a client signed in as it.</summary>
    async Task<(long MemberId, HttpClient Client)> MemberWithLoginAsync(string prefix)
    {
        var username = Unique(prefix);
        var email = $"{username}@example.com";
        var client = await App.ClientAsync(Roles.Member, email);
        await using var db = App.CreateDb();
        var userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync(Ct);
        var member = new Member { Username = username, Email = email, TierId = 1, UserId = userId, CreatedAt = App.Clock.GetUtcNow() };
        db.Members.Add(member);
        await db.SaveChangesAsync(Ct);
        return (member.Id, client);
    }

    async Task<JsonElement> MyFilesAsync(HttpClient client) =>
        await client.GetFromJsonAsync<JsonElement>("/api/users/leads?page=1&limit=10", Ct);

    [Fact]
    public async Task A_member_downloads_its_own_file_and_the_count_goes_up_but_not_another_members_file()
    {
        var (_, alice) = await MemberWithLoginAsync("alice");
        var (_, bob) = await MemberWithLoginAsync("bob");
        var admin = await App.ClientAsync(Roles.Admin);
        // Every lead carries a formula and a line break: the class's database holds more members than a lead has
        // shares, so which of the leads reach alice depends on the members earlier tests added.
        var import = await ImportAsync(App, 3, i => ($"=cmd({i})", $"{Unique("x")}@example.com", "Line1\nLine2"));
        var run = await admin.PostAsync($"/api/admin/leads/distribute/{import}", null, Ct);
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var aliceFile = (await MyFilesAsync(alice)).GetProperty("csv_files")[0];
        var fileId = aliceFile.GetProperty("file_id").GetInt64();
        var bobFileId = (await MyFilesAsync(bob)).GetProperty("csv_files")[0].GetProperty("file_id").GetInt64();

        var own = await alice.GetAsync($"/api/users/leads/download/{fileId}", Ct);
        var others = await alice.GetAsync($"/api/users/leads/download/{bobFileId}", Ct);
        var unknown = await alice.GetAsync("/api/users/leads/download/987654321", Ct);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("text/csv", own.Content.Headers.ContentType?.MediaType);
        Assert.Equal(aliceFile.GetProperty("filename").GetString(), own.Content.Headers.ContentDisposition?.FileNameStar ?? own.Content.Headers.ContentDisposition?.FileName);
        var csv = await own.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("Name,Email,Address\r\n", csv, StringComparison.Ordinal);
        Assert.Contains("'=cmd(", csv, StringComparison.Ordinal);
        Assert.Contains("\"Line1\nLine2\"", csv, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, others.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var after = (await MyFilesAsync(alice)).GetProperty("csv_files")[0];
        Assert.Equal(1, after.GetProperty("download_count").GetInt32());
        Assert.Equal(JsonValueKind.String, after.GetProperty("downloaded_at").ValueKind);
        Assert.Equal(0, (await MyFilesAsync(bob)).GetProperty("csv_files")[0].GetProperty("download_count").GetInt32());
    }

    [Fact]
    public async Task The_first_download_stores_the_bytes_and_every_later_download_serves_them_and_counts_exactly_once()
    {
        var (_, erin) = await MemberWithLoginAsync("erin");
        var admin = await App.ClientAsync(Roles.Admin);
        var import = await ImportAsync(App, 4, i => ($"Lead {i}", $"{Unique("z")}@example.com", $"@SUM(A{i})"));
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/admin/leads/distribute/{import}", null, Ct)).StatusCode);
        var fileId = (await MyFilesAsync(erin)).GetProperty("csv_files")[0].GetProperty("file_id").GetInt64();
        var path = $"/api/users/leads/download/{fileId}";

        var first = await erin.GetAsync(path, Ct);
        var firstBytes = await first.Content.ReadAsByteArrayAsync(Ct);
        await using (var db = App.CreateDb())
        {
            // A lead changed after the file was first served does not change the file.
            var file = await db.MemberFiles.SingleAsync(f => f.Id == fileId, Ct);
            var leadId = await db.Shares.Where(s => s.MemberId == file.MemberId && s.RunId == file.RunId).Select(s => s.LeadId).FirstAsync(Ct);
            await db.Leads.Where(l => l.Id == leadId).ExecuteUpdateAsync(u => u.SetProperty(l => l.Name, "Changed Later"), Ct);
        }

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var response = await erin.GetAsync(path, Ct);
            return (response.StatusCode, Body: await response.Content.ReadAsByteArrayAsync(Ct));
        }));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("utf-8", first.Content.Headers.ContentType?.CharSet);
        Assert.Equal(firstBytes.Length, first.Content.Headers.ContentLength);
        Assert.Equal("attachment", first.Content.Headers.ContentDisposition?.DispositionType);
        Assert.True(first.Headers.CacheControl is { Private: true, NoStore: true });
        Assert.Contains("'@SUM(A", System.Text.Encoding.UTF8.GetString(firstBytes), StringComparison.Ordinal);
        Assert.All(concurrent, r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(firstBytes, r.Body);
        });
        await using var check = App.CreateDb();
        Assert.Equal(firstBytes, await check.MemberFileCsvs.Where(c => c.FileId == fileId).Select(c => c.Content).SingleAsync(Ct));
        Assert.Equal(21, await check.MemberFiles.Where(f => f.Id == fileId).Select(f => f.DownloadCount).SingleAsync(Ct));
        var export = await App.Get<MemberFiles>().ContentAsync(fileId, Ct);
        Assert.Equal(firstBytes, export?.Content);
    }

    /// <summary>A member with a login and one file from a fresh distribution run; returns the file id and the member's client.</summary>
    async Task<(long FileId, HttpClient Client)> MemberWithFileAsync(string prefix, int leads)
    {
        var (_, client) = await MemberWithLoginAsync(prefix);
        var admin = await App.ClientAsync(Roles.Admin);
        var import = await ImportAsync(App, leads, i => ($"Lead {i}", $"{Unique("c")}@example.com", $"{i} Count St"));
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/admin/leads/distribute/{import}", null, Ct)).StatusCode);
        return ((await MyFilesAsync(client)).GetProperty("csv_files")[0].GetProperty("file_id").GetInt64(), client);
    }

    [Fact]
    public async Task Fifty_concurrent_downloads_of_one_file_count_exactly_fifty_and_others_are_refused_and_not_counted()
    {
        var (fileId, grace) = await MemberWithFileAsync("grace", 5);
        var (_, heidi) = await MemberWithLoginAsync("heidi");
        var path = $"/api/users/leads/download/{fileId}";
        var now = App.Clock.GetUtcNow();
        var countedBefore = App.Get<DownloadCounts>().Committed.Downloads;

        var own = Enumerable.Range(0, 50).Select(async _ =>
        {
            using var response = await grace.GetAsync(path, Ct);
            return (response.StatusCode, Body: await response.Content.ReadAsByteArrayAsync(Ct));
        }).ToList();
        var others = Enumerable.Range(0, 10).Select(async _ => (await heidi.GetAsync(path, Ct)).StatusCode).ToList();
        var unknown = Enumerable.Range(0, 5).Select(async _ => (await grace.GetAsync("/api/users/leads/download/987654321", Ct)).StatusCode).ToList();
        var served = await Task.WhenAll(own);

        Assert.All(served, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(served.Select(r => Convert.ToBase64String(r.Body)).Distinct());
        Assert.All(await Task.WhenAll(others), s => Assert.Equal(HttpStatusCode.Forbidden, s));
        Assert.All(await Task.WhenAll(unknown), s => Assert.Equal(HttpStatusCode.NotFound, s));
        await using (var db = App.CreateDb())
        {
            var file = await db.MemberFiles.AsNoTracking().SingleAsync(f => f.Id == fileId, Ct);
            Assert.Equal((50, now), (file.DownloadCount, file.LastDownloadAt));
        }
        Assert.Equal(50, App.Get<DownloadCounts>().Committed.Downloads - countedBefore);

        // A later download moves the last download time on and counts one more.
        App.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(HttpStatusCode.OK, (await grace.GetAsync(path, Ct)).StatusCode);
        Assert.Equal(JsonValueKind.String, (await MyFilesAsync(grace)).GetProperty("csv_files")[0].GetProperty("downloaded_at").ValueKind);
        await using var check = App.CreateDb();
        var after = await check.MemberFiles.AsNoTracking().SingleAsync(f => f.Id == fileId, Ct);
        Assert.Equal((51, now.AddMinutes(3)), (after.DownloadCount, after.LastDownloadAt));
    }

    [Fact]
    public async Task A_cached_file_is_refused_once_its_member_is_no_longer_linked_to_the_login_and_that_download_is_not_counted()
    {
        var (fileId, judy) = await MemberWithFileAsync("judy", 3);
        var path = $"/api/users/leads/download/{fileId}";
        Assert.Equal(HttpStatusCode.OK, (await judy.GetAsync(path, Ct)).StatusCode); // now cached on this node, with its member
        await using (var db = App.CreateDb())
        {
            var memberId = await db.MemberFiles.Where(f => f.Id == fileId).Select(f => f.MemberId).SingleAsync(Ct);
            await db.Members.Where(m => m.Id == memberId).ExecuteUpdateAsync(u => u.SetProperty(m => m.UserId, (string?)null), Ct);
        }

        var refused = await judy.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        await using var check = App.CreateDb();
        Assert.Equal(1, await check.MemberFiles.Where(f => f.Id == fileId).Select(f => f.DownloadCount).SingleAsync(Ct));
    }

    [Fact]
    public async Task A_group_of_downloads_by_several_logins_counts_only_those_linked_to_the_files_member()
    {
        var (fileId, _) = await MemberWithFileAsync("kim", 2);
        var (strangerMember, _) = await MemberWithLoginAsync("lou");
        await using var db = App.CreateDb();
        var file = await db.MemberFiles.AsNoTracking().SingleAsync(f => f.Id == fileId, Ct);
        var owner = await db.Members.Where(m => m.Id == file.MemberId).Select(m => m.UserId!).SingleAsync(Ct);
        var stranger = await db.Members.Where(m => m.Id == strangerMember).Select(m => m.UserId!).SingleAsync(Ct);
        var at = App.Clock.GetUtcNow();
        var counts = new DownloadCounts(App.Get<IDbContextFactory<LeadRouterDb>>(), NullLogger<DownloadCounts>.Instance);

        // Queued together, then written as one group when the writer drains on shutdown.
        var queued = Enumerable.Range(0, 12).Select(i => counts.CountForUserAsync(fileId, file.MemberId, i % 3 == 0 ? stranger : owner, at, Ct)).ToList();
        var missing = counts.CountForUserAsync(987654321, file.MemberId, owner, at, Ct);
        await counts.DisposeAsync();

        var results = await Task.WhenAll(queued).WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i % 3 == 0 ? DownloadCounted.NotTheCallers : DownloadCounted.Counted), results);
        Assert.Equal(DownloadCounted.NoSuchFile, await missing.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(8, await db.MemberFiles.Where(f => f.Id == fileId).Select(f => f.DownloadCount).SingleAsync(Ct));
        Assert.Equal(8, counts.Committed.Downloads);
    }

    [Fact]
    public async Task Download_counts_queued_at_shutdown_are_written_and_an_older_time_does_not_move_the_last_download_back()
    {
        var (fileId, _) = await MemberWithFileAsync("ivan", 2);
        var at = App.Clock.GetUtcNow();
        var counts = new DownloadCounts(App.Get<IDbContextFactory<LeadRouterDb>>(), NullLogger<DownloadCounts>.Instance);

        var queued = Enumerable.Range(0, 30).Select(i => counts.CountAsync(fileId, at.AddSeconds(-i), Ct)).ToList();
        var missing = counts.CountAsync(987654321, at, Ct);
        await counts.DisposeAsync();

        // Every queued download was answered by the time shutdown finished (the answers reach their callers just after).
        Assert.All(await Task.WhenAll(queued).WaitAsync(TimeSpan.FromSeconds(5), Ct), c => Assert.Equal(DownloadCounted.Counted, c));
        Assert.Equal(DownloadCounted.NoSuchFile, await missing.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => counts.CountAsync(fileId, at, Ct));
        Assert.Equal(30, counts.Committed.Downloads); // the unknown file's download is answered but not counted
        await using (var db = App.CreateDb())
        {
            var stored = await db.MemberFiles.AsNoTracking().SingleAsync(f => f.Id == fileId, Ct);
            Assert.Equal((30, at), (stored.DownloadCount, stored.LastDownloadAt));
        }

        await using var later = new DownloadCounts(App.Get<IDbContextFactory<LeadRouterDb>>(), NullLogger<DownloadCounts>.Instance);
        Assert.Equal(DownloadCounted.Counted, await later.CountAsync(fileId, at.AddHours(-1), Ct));
        await using var check = App.CreateDb();
        var file = await check.MemberFiles.AsNoTracking().SingleAsync(f => f.Id == fileId, Ct);
        Assert.Equal((31, at), (file.DownloadCount, file.LastDownloadAt));
    }

    [Fact]
    public async Task Export_of_a_file_never_downloaded_stores_the_same_bytes_a_download_then_serves()
    {
        var (_, frank) = await MemberWithLoginAsync("frank");
        var admin = await App.ClientAsync(Roles.Admin);
        var import = await ImportAsync(App, 3, i => ($"+{i} Lead, \"quoted\"", $"{Unique("w")}@example.com", "Line1\r\nLine2"));
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/admin/leads/distribute/{import}", null, Ct)).StatusCode);
        var fileId = (await MyFilesAsync(frank)).GetProperty("csv_files")[0].GetProperty("file_id").GetInt64();

        var export = await App.Get<MemberFiles>().ContentAsync(fileId, Ct);
        var download = await frank.GetByteArrayAsync($"/api/users/leads/download/{fileId}", Ct);

        Assert.NotNull(export);
        Assert.Equal(export.Content, download);
        Assert.Contains("\"'+0 Lead, \"\"quoted\"\"\"", System.Text.Encoding.UTF8.GetString(download), StringComparison.Ordinal);
        await using var db = App.CreateDb();
        Assert.Equal(download, await db.MemberFileCsvs.Where(c => c.FileId == fileId).Select(c => c.Content).SingleAsync(Ct));
        Assert.Equal(1, await db.MemberFiles.Where(f => f.Id == fileId).Select(f => f.DownloadCount).SingleAsync(Ct));
    }

    [Fact]
    public async Task Distributing_a_completed_import_again_is_409_and_an_unknown_one_404()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        await MemberWithLoginAsync("carol");
        var import = await ImportAsync(App, 2);

        var first = await admin.PostAsync($"/api/admin/leads/distribute/{import}", null, Ct);
        var again = await admin.PostAsync($"/api/admin/leads/distribute/{import}", null, Ct);
        var unknown = await admin.PostAsync("/api/admin/leads/distribute/987654321", null, Ct);
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/admin/leads/distributions?page=1&limit=100", Ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var row = list.GetProperty("distributions").EnumerateArray().Single(d => d.GetProperty("distribution_id").GetInt64() == import);
        Assert.Equal("completed", row.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Upload_queues_a_distribution_and_a_file_without_the_required_columns_is_400_and_stores_nothing()
    {
        var admin = await App.ClientAsync(Roles.Admin);
        var tag = Unique("up");
        using var good = new MultipartFormDataContent
        {
            { new StringContent($"Name,Email,Address\nAnn,{tag}.a@example.com,1 Road\nBen,{tag}.b@example.com,2 Road\n"), "csv_file", "week1.csv" },
        };
        using var bad = new MultipartFormDataContent
        {
            { new StringContent($"Name,Email\nAnn,{tag}.c@example.com\n"), "csv_file", "bad.csv" },
        };

        var ok = await admin.PostAsync("/api/admin/leads/upload", good, Ct);
        var rejected = await admin.PostAsync("/api/admin/leads/upload", bad, Ct);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = await ok.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(2, body.GetProperty("total_leads").GetInt32());
        Assert.Equal("queued", body.GetProperty("status").GetString());
        var id = body.GetProperty("distribution_id").GetInt64();
        await using var db = App.CreateDb();
        Assert.Equal(DistributionRunStatus.Queued, (await db.DistributionRuns.SingleAsync(r => r.ImportId == id, Ct)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        Assert.False(await db.Leads.AnyAsync(l => l.Email == $"{tag}.c@example.com", Ct));
    }

    [Fact]
    public async Task Member_routes_need_the_member_role_and_admin_routes_the_admin_role()
    {
        var (_, member) = await MemberWithLoginAsync("dave");

        var asMember = await member.PostAsync("/api/admin/leads/distribute/1", null, Ct);
        var anonymous = await App.CreateClient().GetAsync("/api/users/leads", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, asMember.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}

public sealed class MemberDownloadTests_Sqlite(SqliteApp app) : MemberDownloadTests<SqliteApp>(app);

[Trait("Database", "Postgres")]
public sealed class MemberDownloadTests_Postgres(PostgresApp app) : MemberDownloadTests<PostgresApp>(app);
