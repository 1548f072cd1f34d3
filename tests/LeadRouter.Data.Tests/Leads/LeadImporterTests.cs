using System.Text;
using System.Text.Json;
using LeadRouter.Data.Leads;
using LeadRouter.Data.Leads.Intake;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data.Tests.Leads;

/// <summary>The import pipeline on a real database; one subclass per provider.</summary>
public abstract class LeadImporterTests<TDatabase>(TDatabase database) : IClassFixture<TDatabase>
    where TDatabase : TestDatabase
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A fresh token so each test's ids, e-mails and sources are its own.</summary>
    readonly string u = Guid.NewGuid().ToString("N")[..10];

    LeadImporter Importer() => new(database, database.Clock);

    Task<ImportReport> ImportAsync(string text, ImportOptions? options = null, Encoding? encoding = null, IProgress<ImportProgress>? progress = null) =>
        ImportAsync((encoding ?? new UTF8Encoding(false)).GetBytes(text), options, progress);

    async Task<ImportReport> ImportAsync(byte[] bytes, ImportOptions? options = null, IProgress<ImportProgress>? progress = null, bool seekable = true)
    {
        using Stream stream = seekable ? new MemoryStream(bytes) : new ForwardOnlyStream(bytes);
        return await Importer().ImportAsync(stream, options ?? new ImportOptions { FileName = "leads.csv" }, progress, Ct);
    }

    async Task<List<Lead>> LeadsOf(ImportReport report)
    {
        Assert.NotNull(report.ImportId);
        await using var db = database.CreateDbContext();
        return await db.Leads.Include(l => l.Source).Where(l => l.ImportId == report.ImportId).OrderBy(l => l.Id).ToListAsync(Ct);
    }

    async Task<int> CountKeys(params string[] keys)
    {
        await using var db = database.CreateDbContext();
        return await db.Leads.CountAsync(l => keys.Contains(l.IdentityKey), Ct);
    }

    static Dictionary<string, string> Attributes(Lead lead) =>
        lead.Attributes is null ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(lead.Attributes)!;

    [Fact]
    public async Task Semicolon_file_with_a_bom_maps_synonyms_and_keeps_other_columns_as_attributes()
    {
        var csv = $"E-mail Address;Full Name;Mobile;Lead Source;Budget Notes\r\nA.{u}@Example.com ; Ann Lee ;+1 650 253 0000;Google;call after 5\r\n";

        var report = await ImportAsync([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv)]);

        Assert.True(report.Stored);
        Assert.Equal((1, 1, 0, 0), (report.Rows, report.Accepted, report.Duplicates, report.Rejected));
        var lead = Assert.Single(await LeadsOf(report));
        Assert.Equal($"a.{u}@example.com", lead.Email);
        Assert.Equal($"email:a.{u}@example.com", lead.IdentityKey);
        Assert.Equal("Ann Lee", lead.Name);
        Assert.Equal("+16502530000", lead.Phone);
        Assert.True(lead.PhoneValid);
        Assert.Equal("Google", lead.Source!.Name);
        Assert.Equal(LeadStatus.New, lead.Status);
        Assert.Equal(database.Clock.GetUtcNow(), lead.CreatedAt);
        Assert.Equal(new Dictionary<string, string> { ["Budget Notes"] = "call after 5" }, Attributes(lead));
    }

    [Fact]
    public async Task Windows_1252_file_is_decoded()
    {
        var csv = $"Id,Name,City\n{u}-1,José Müller,Göteborg\n";

        var report = await ImportAsync(csv, encoding: Encoding.GetEncoding(1252));

        var lead = Assert.Single(await LeadsOf(report));
        Assert.Equal(("José Müller", "Göteborg"), (lead.Name, lead.City));
    }

    [Fact]
    public async Task Quoted_fields_keep_delimiters_quotes_and_newlines()
    {
        var csv = $"Id,Company,Notes\n{u}-1,\"Horn, Shepard and Watson\",\"said \"\"hi\"\"\nthen left\"\n{u}-2,Acme,\n";

        var report = await ImportAsync(csv);

        var leads = await LeadsOf(report);
        Assert.Equal("Horn, Shepard and Watson", leads[0].Company);
        Assert.Equal("said \"hi\"\nthen left", Attributes(leads[0])["Notes"]);
        Assert.Equal(2, report.Rows);
    }

    [Fact]
    public async Task Tab_and_pipe_delimiters_are_detected()
    {
        var tab = await ImportAsync($"Id\tName\n{u}-t\tTab Person\n");
        var pipe = await ImportAsync($"Id|Name\n{u}-p|Pipe Person\n");

        Assert.Equal("Tab Person", Assert.Single(await LeadsOf(tab)).Name);
        Assert.Equal("Pipe Person", Assert.Single(await LeadsOf(pipe)).Name);
    }

    [Fact]
    public async Task Select_and_other_placeholders_become_empty()
    {
        var csv = $"Prospect ID,City,Specialization,Phone,Country\n{u}-1,Select,select,N/A,-\n{u}-2,Mumbai,null,NA,India\n";

        var report = await ImportAsync(csv);

        var leads = await LeadsOf(report);
        Assert.Equal((null, null, null, null), (leads[0].City, leads[0].Phone, leads[0].Country, leads[0].Attributes));
        Assert.Equal(("Mumbai", "IN"), (leads[1].City, leads[1].Country));
        Assert.Equal(0, report.Warnings);
    }

    [Fact]
    public async Task Nul_characters_are_removed_so_the_row_stores_on_every_database()
    {
        var csv = $"Id,Name,City,Notes\n{u}-1,Ann\0 Lee,\0,note\0 kept\n";

        var report = await ImportAsync(csv);

        Assert.Equal((1, 0), (report.Accepted, report.Rejected));
        var lead = Assert.Single(await LeadsOf(report));
        Assert.Equal(("Ann Lee", null), (lead.Name, lead.City));
        Assert.Contains("note kept", lead.Attributes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sources_are_matched_case_insensitively_and_keep_the_first_spelling()
    {
        var csv = $"Id,Lead Source\n{u}-1,  Src{u} \n{u}-2,SRC{u}\n{u}-3,src{u}\n{u}-4,\n";

        var report = await ImportAsync(csv);

        var leads = await LeadsOf(report);
        Assert.Equal([$"Src{u}", $"Src{u}", $"Src{u}"], leads.Take(3).Select(l => l.Source!.Name));
        Assert.Null(leads[3].SourceId);
        Assert.Equal([leads[0].SourceId!.Value], report.SourceIds);
    }

    [Fact]
    public async Task Source_option_wins_and_the_file_source_stays_an_attribute()
    {
        var csv = $"Id,Source\n{u}-1,Facebook\n";

        var report = await ImportAsync(csv, new ImportOptions { FileName = "f.csv", Source = $"Meta{u}" });

        var lead = Assert.Single(await LeadsOf(report));
        Assert.Equal($"Meta{u}", lead.Source!.Name);
        Assert.Equal("Facebook", Attributes(lead)["Source"]);
    }

    [Fact]
    public async Task Source_column_option_picks_each_rows_source()
    {
        var csv = $"Id,Channel,Lead Source\n{u}-1,Web{u},Google\n";

        var report = await ImportAsync(csv, new ImportOptions { FileName = "f.csv", SourceColumn = "channel" });

        var lead = Assert.Single(await LeadsOf(report));
        Assert.Equal($"Web{u}", lead.Source!.Name);
        Assert.Equal("Google", Attributes(lead)["Lead Source"]);
    }

    [Fact]
    public async Task Trailing_comma_column_without_a_header_is_ignored()
    {
        var csv = $"Id,Name,Tags,\r\n{u}-1,Ann,hot,\r\n{u}-2,Bob,,\r\n";

        var report = await ImportAsync(csv);

        var leads = await LeadsOf(report);
        Assert.Equal(new Dictionary<string, string> { ["Tags"] = "hot" }, Attributes(leads[0]));
        Assert.Null(leads[1].Attributes);
        Assert.Equal(0, report.Warnings);
    }

    [Fact]
    public async Task First_and_last_name_are_joined_and_map_overrides_synonyms()
    {
        var csv = $"Ref,First Name,Last Name,Correo\n{u}-1,Ann,Lee,ann.{u}@x.org\n";

        var report = await ImportAsync(csv, new ImportOptions
        {
            FileName = "f.csv",
            Map = new Dictionary<string, string> { ["id"] = "Ref", ["email"] = "correo" },
        });

        var lead = Assert.Single(await LeadsOf(report));
        Assert.Equal(($"{u}-1", "Ann Lee", $"ann.{u}@x.org", $"id:{u}-1"), (lead.ExternalId, lead.Name, lead.Email, lead.IdentityKey));
        Assert.Null(lead.Attributes);
    }

    [Fact]
    public async Task Xlsx_sheet_is_read_by_name_and_numbers_become_text()
    {
        var xlsx = TinyXlsx.Create(
            ("other", [["x"], ["y"]]),
            ("data", [["Id", "Full Name", "Email", "Amount"], [7, "Harry Hunter", $"h.{u}@x.org", 12.5], [null, null, null, null], [$"{u}-2", "Emily Reyes", null, "$1,200"]]));

        var report = await ImportAsync(xlsx, new ImportOptions { FileName = "leads.xlsx", Sheet = "Data" }, seekable: false);

        var leads = await LeadsOf(report);
        Assert.Equal(2, report.Rows);
        Assert.Equal(("7", "Harry Hunter", 12.5m), (leads[0].ExternalId, leads[0].Name, leads[0].Amount));
        Assert.Equal(1200m, leads[1].Amount);
    }

    [Fact]
    public async Task Unknown_xlsx_sheet_is_an_input_error()
    {
        var xlsx = TinyXlsx.Create(("data", [["Id"], ["1"]]));

        var e = await Assert.ThrowsAsync<ImportInputException>(() => ImportAsync(xlsx, new ImportOptions { FileName = "l.xlsx", Sheet = "nope" }));

        Assert.Contains("data", e.Message);
    }

    [Fact]
    public async Task Duplicates_within_the_file_and_across_imports_are_counted_and_never_inserted()
    {
        var csv = $"Id,Email,Name\n{u}-1,a{u}@x.org,A\n,b{u}@x.org,B\n{u}-1,other{u}@x.org,A again\n,B{u}@X.org,B again\n";

        var first = await ImportAsync(csv);
        var second = await ImportAsync(csv);

        Assert.Equal((4, 2, 2), (first.Rows, first.Accepted, first.Duplicates));
        Assert.Equal([new DuplicateRow(4, $"id:{u}-1"), new DuplicateRow(5, $"email:b{u}@x.org")], first.DuplicateRows);
        Assert.Equal((4, 0, 4, true), (second.Rows, second.Accepted, second.Duplicates, second.Stored));
        Assert.Equal(2, await CountKeys($"id:{u}-1", $"email:b{u}@x.org"));
        Assert.Empty(second.SourceIds);
    }

    [Fact]
    public async Task Duplicates_are_detected_across_batches()
    {
        var rows = Enumerable.Range(0, 2500).Select(i => $"{u}-{i % 1200},n{i}");

        var report = await ImportAsync("Id,Name\n" + string.Join("\n", rows));

        Assert.Equal((2500, 1200, 1300), (report.Rows, report.Accepted, report.Duplicates));
    }

    [Fact]
    public async Task Invalid_email_on_row_3_rejects_the_whole_file_and_stores_nothing()
    {
        var csv = $"Id,Email,Lead Source\n{u}-1,ok{u}@x.org,New{u}\n{u}-2,not-an-email,New{u}\n{u}-3,,New{u}\n";

        var report = await ImportAsync(csv);

        Assert.False(report.Stored);
        Assert.Null(report.ImportId);
        Assert.Equal((3, 0, 1), (report.Rows, report.Accepted, report.Rejected));
        var error = Assert.Single(report.Errors);
        Assert.Equal((3, "Email"), (error.Row, error.Column));
        Assert.Equal(0, await CountKeys($"id:{u}-1", $"id:{u}-3"));
        await using var db = database.CreateDbContext();
        Assert.False(await db.Sources.AnyAsync(s => s.Key == $"new{u}", Ct));
    }

    [Fact]
    public async Task Every_problem_is_listed_with_its_physical_row_number()
    {
        var csv = $"Id,Email,Notes\n\n{u}-1,bad@,x\n,,only notes\n\n\n\"\",bad2@@x.org,\"two\nlines\"\n,also bad,\n";

        var report = await ImportAsync(csv);

        Assert.Equal(4, report.Rows);
        Assert.Equal([3, 4, 7, 8], report.Errors.Select(e => e.Row));
        Assert.Equal([null], report.Errors.Where(e => e.Row == 4).Select(e => e.Column));
    }

    [Fact]
    public async Task Blank_lines_before_the_header_are_skipped_and_counted()
    {
        var csv = $"\r\n\r\nId,Email\r\n{u}-1,bad\r\n";

        var report = await ImportAsync(csv);

        Assert.Equal((1, 4), (report.Rows, Assert.Single(report.Errors).Row));
    }

    [Fact]
    public async Task Repeated_headers_are_kept_apart_in_the_attributes()
    {
        var report = await ImportAsync($"Id,Tag,tag\n{u}-1,hot,new\n");

        Assert.Equal(new Dictionary<string, string> { ["Tag"] = "hot", ["tag (2)"] = "new" }, Attributes(Assert.Single(await LeadsOf(report))));
    }

    [Fact]
    public async Task Skip_invalid_stores_the_valid_rows_and_reports_the_rest()
    {
        var csv = $"Id,Email\n{u}-1,ok{u}@x.org\n{u}-2,nope\n{u}-3,\n";

        var report = await ImportAsync(csv, new ImportOptions { FileName = "f.csv", SkipInvalid = true, ImportedBy = "ann" });

        Assert.True(report.Stored);
        Assert.Equal((3, 2, 1), (report.Rows, report.Accepted, report.Rejected));
        await using var db = database.CreateDbContext();
        var import = await db.Imports.SingleAsync(i => i.Id == report.ImportId, Ct);
        Assert.Equal(("f.csv", "ann", 3, 2, 0, 1), (import.FileName, import.ImportedBy, import.Rows, import.Accepted, import.Duplicates, import.Rejected));
        Assert.Equal(database.Clock.GetUtcNow(), import.CreatedAt);
        Assert.Contains("\"row\":3", import.Errors);
    }

    [Fact]
    public async Task Name_only_rows_are_accepted_and_rows_without_identity_are_not()
    {
        var csv = $"Name,Company,City,Notes\nNo{u} Body,Acme,Pune,\n no{u}  BODY ,acme,pune,again\n,,,just a note\n";

        var report = await ImportAsync(csv, new ImportOptions { FileName = "f.csv", SkipInvalid = true });

        Assert.Equal((1, 1, 1), (report.Accepted, report.Duplicates, report.Rejected));
        Assert.Equal($"name:no{u} body|acme|pune", Assert.Single(await LeadsOf(report)).IdentityKey);
        Assert.Equal(4, Assert.Single(report.Errors).Row);
    }

    [Fact]
    public async Task Phones_countries_amounts_and_grades_are_normalised_with_warnings_for_what_cannot_be()
    {
        var csv = "Id,Phone,Country,Amount,Grade,Score\n" +
                  $"{u}-1,(022) 2345 6789,india,\"₹ 1,50,000.50\", a+ ,87.5\n" +
                  $"{u}-2,123-45,Asia/Pacific Region,abc,b,high\n" +
                  $"{u}-3,+44 20 7946 0958,GBR,\"€12,5\",,\n";

        var report = await ImportAsync(csv, new ImportOptions { FileName = "f.csv", DefaultRegion = "IN" });

        var leads = await LeadsOf(report);
        Assert.Equal(("+912223456789", true, "IN", 150000.50m, "A+", 87.5), (leads[0].Phone, leads[0].PhoneValid, leads[0].Country, leads[0].Amount, leads[0].Grade, leads[0].Score));
        Assert.Equal((null, null, "B", null), (leads[1].Country, leads[1].Amount, leads[1].Grade, leads[1].Score));
        Assert.False(leads[1].PhoneValid);
        Assert.Equal("Asia/Pacific Region", Attributes(leads[1])["Country"]);
        Assert.Equal("abc", Attributes(leads[1])["Amount"]);
        Assert.Equal(("+442079460958", "GB", 12.5m), (leads[2].Phone, leads[2].Country, leads[2].Amount));
        Assert.True(report.Warnings >= 4);
        Assert.Contains(report.WarningList, w => w is { Row: 3, Column: "Country" });
    }

    [Fact]
    public async Task Unparseable_phone_keeps_its_digits_and_is_flagged()
    {
        var csv = $"Email,Phone\np{u}@x.org,001-346-519-8104\n";

        var report = await ImportAsync(csv);

        var lead = Assert.Single(await LeadsOf(report));
        Assert.Equal("0013465198104", lead.Phone);
        Assert.False(lead.PhoneValid);
        var warning = Assert.Single(report.WarningList);
        Assert.Equal(2, warning.Row);
        Assert.Contains("(no country code, and no default region)", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_phone_with_a_country_code_but_no_number_in_use_is_flagged_without_blaming_a_missing_country_code()
    {
        // +1 675 is not an area code in use.
        var report = await ImportAsync($"Email,Phone\nq{u}@x.org,+1-675-243-7422x9177\n");

        var lead = Assert.Single(await LeadsOf(report));
        Assert.Equal(("+16752437422", false), (lead.Phone, lead.PhoneValid));
        var warning = Assert.Single(report.WarningList);
        Assert.Equal("'+1-675-243-7422x9177' is not a valid phone number; kept as +16752437422.", warning.Message);
    }

    [Fact]
    public async Task Phone_is_the_identity_when_there_is_no_id_or_email()
    {
        var report = await ImportAsync("Name,Phone\nA,+1 650 253 0001\n");

        Assert.Equal("phone:+16502530001", Assert.Single(await LeadsOf(report)).IdentityKey);
    }

    [Fact]
    public async Task Reserve_imports_store_leads_as_reserve()
    {
        var report = await ImportAsync($"Id\n{u}-1\n", new ImportOptions { FileName = "f.csv", Purpose = ImportPurpose.Reserve });

        Assert.Equal(LeadStatus.Reserve, Assert.Single(await LeadsOf(report)).Status);
    }

    [Fact]
    public async Task Empty_and_header_only_files_are_input_errors()
    {
        await Assert.ThrowsAsync<ImportInputException>(() => ImportAsync(""));
        await Assert.ThrowsAsync<ImportInputException>(() => ImportAsync("Id,Name\r\n\r\n"));
        await Assert.ThrowsAsync<ImportInputException>(() => ImportAsync([], new ImportOptions { FileName = "x.xlsx" }));
    }

    [Fact]
    public async Task Missing_columns_named_in_options_are_input_errors()
    {
        var csv = $"Id,Name\n{u}-1,A\n";

        var sourceColumn = await Assert.ThrowsAsync<ImportInputException>(() => ImportAsync(csv, new ImportOptions { FileName = "f.csv", SourceColumn = "Channel" }));
        var map = await Assert.ThrowsAsync<ImportInputException>(() => ImportAsync(csv, new ImportOptions { FileName = "f.csv", Map = new Dictionary<string, string> { ["email"] = "Mail Box" } }));
        var required = await Assert.ThrowsAsync<ImportInputException>(() => ImportAsync(csv, new ImportOptions { FileName = "f.csv", RequiredColumns = ["Name", "Email", "Address"] }));

        Assert.Contains("Channel", sourceColumn.Message);
        Assert.Contains("Mail Box", map.Message);
        Assert.Contains("Email, Address", required.Message);
        Assert.Equal(0, await CountKeys($"id:{u}-1"));
    }

    [Fact]
    public async Task Non_seekable_stream_is_read_once_and_progress_is_reported()
    {
        var rows = Enumerable.Range(0, 3500).Select(i => $"{u}-{i},Name {i},é");
        var bytes = Encoding.GetEncoding(1252).GetBytes("Id,Name,Note\n" + string.Join("\n", rows));
        var seen = new List<ImportProgress>();

        var report = await ImportAsync(bytes, progress: new Recorder(seen), seekable: false);

        Assert.Equal(3500, report.Accepted);
        Assert.Equal([1000L, 2000, 3000, 3500], seen.Select(p => p.RowsRead));
        Assert.Equal(bytes.Length, seen[^1].BytesRead);
        Assert.Equal("é", Attributes((await LeadsOf(report))[0])["Note"]);
    }

    [Fact]
    public async Task Concurrent_imports_of_one_file_store_each_lead_once()
    {
        var csv = "Email,Lead Source\n" + string.Join("\n", Enumerable.Range(0, 300).Select(i => $"c{i}.{u}@x.org,Conc{u}"));

        var reports = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => ImportAsync(csv), Ct)));

        Assert.Equal(300, reports.Sum(r => r.Accepted));
        Assert.Equal(600, reports.Sum(r => r.Duplicates));
        await using var db = database.CreateDbContext();
        Assert.Equal(1, await db.Sources.CountAsync(s => s.Key == $"conc{u}", Ct));
    }

    sealed class Recorder(List<ImportProgress> seen) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => seen.Add(value);
    }

    sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}

public sealed class LeadImporterTests_Sqlite(SqliteDatabase database) : LeadImporterTests<SqliteDatabase>(database);

[Trait("Database", "Postgres")]
public sealed class LeadImporterTests_Postgres(PostgresDatabase database) : LeadImporterTests<PostgresDatabase>(database);
