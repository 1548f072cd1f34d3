using System.Text;
using LeadRouter.Data.Leads.Intake;

namespace LeadRouter.Data.Tests.Leads;

/// <summary>The pure parts of the intake pipeline: no database.</summary>
public sealed class IntakeParsingTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("a,b,c\n1;2;3", ',')]
    [InlineData("a;b;c\r\n", ';')]
    [InlineData("\n\na\tb\n", '\t')]
    [InlineData("a|b|\"c,d,e\"\n", '|')]
    [InlineData("\"x;y;z\",b\n", ',')]
    [InlineData("single\n", ',')]
    public void Delimiter_is_detected_from_the_first_non_blank_line(string text, char expected) =>
        Assert.Equal(expected, LeadFileReader.DetectDelimiter(text));

    [Fact]
    public async Task A_stray_windows_1252_byte_after_the_peeked_part_still_decodes()
    {
        var head = "Id,Note\n" + string.Concat(Enumerable.Range(0, 5000).Select(i => $"{i},ascii ✓\n"));
        var bytes = Encoding.UTF8.GetBytes(head).Concat(Encoding.GetEncoding(1252).GetBytes("9999,café\n")).ToArray();
        Assert.True(bytes.Length > TextDecoding.PeekSize);

        using var reader = await LeadFileReader.OpenAsync(new MemoryStream(bytes), "f.csv", null, Ct);
        string? last = null;
        string? first = null;
        while (await reader.ReadAsync(Ct))
        {
            first ??= reader.GetString(1);
            last = reader.GetString(1);
        }

        Assert.Equal("ascii ✓", first);
        Assert.Equal("café", last);
    }

    [Theory]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, (byte)'a' }, "utf-8", 3)]
    [InlineData(new byte[] { (byte)'a', 0xC3, 0xA9 }, "utf-8", 0)]
    [InlineData(new byte[] { (byte)'a', 0xE9, (byte)'b' }, "windows-1252", 0)]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'a', 0 }, "utf-16", 2)]
    public void Encoding_is_picked_from_the_first_bytes(byte[] head, string expected, int preamble)
    {
        var (encoding, skip) = TextDecoding.Detect(head, atEnd: true);

        Assert.Equal((expected, preamble), (encoding.WebName, skip));
    }

    [Fact]
    public void A_utf8_sequence_cut_by_the_peek_is_not_taken_for_windows_1252()
    {
        var (encoding, _) = TextDecoding.Detect([(byte)'a', 0xE2, 0x9C], atEnd: false);

        Assert.Equal("utf-8", encoding.WebName);
    }

    [Fact]
    public void Real_export_headers_map_to_lead_fields()
    {
        string[] suite = ["First Name", "Last Name", "ID", "Account Name", "Email Address", "Non Primary E-mails", "Mobile", "Office Phone",
            "Primary Address Street", "Primary Address City", "Primary Address Country", "Lead Source", "Opportunity Amount", "Assigned to"];

        var map = new HeaderMap(suite, new ImportOptions { FileName = "f.csv" });

        Assert.Equal([0, 1, 2, 3, 4, 6, 8, 9, 10, 12], new[]
        {
            map[LeadField.FirstName], map[LeadField.LastName], map[LeadField.ExternalId], map[LeadField.Company], map[LeadField.Email],
            map[LeadField.Phone], map[LeadField.Address], map[LeadField.City], map[LeadField.Country], map[LeadField.Amount],
        });
        Assert.Equal(11, map.SourceColumn);
        Assert.Equal(["Non Primary E-mails", "Office Phone", "Assigned to"], map.Attributes.Select(a => a.Key));
    }

    [Fact]
    public void Better_synonyms_win_and_a_full_name_beats_first_and_last()
    {
        string[] headers = ["Index", "Customer Id", "Prospect ID", "First Name", "Last Name", "Full Name", "Phone 1", "Phone 2", "Email 1", "Email 2", ""];

        var map = new HeaderMap(headers, new ImportOptions { FileName = "f.csv" });

        Assert.Equal((2, 5, -1, 6, 8), (map[LeadField.ExternalId], map[LeadField.Name], map[LeadField.FirstName], map[LeadField.Phone], map[LeadField.Email]));
        Assert.Equal(["Index", "Customer Id", "First Name", "Last Name", "Phone 2", "Email 2"], map.Attributes.Select(a => a.Key));
    }

    [Theory]
    [InlineData("a@b.co", true)]
    [InlineData("first.last+tag@sub.example.org", true)]
    [InlineData("o'brien@example.ie", true)]
    [InlineData("user@bücher.de", true)]
    [InlineData("not-an-email", false)]
    [InlineData("a@b", false)]
    [InlineData("a@@b.com", false)]
    [InlineData("a b@c.com", false)]
    [InlineData(".a@b.com", false)]
    [InlineData("a..b@c.com", false)]
    [InlineData("a@-b.com", false)]
    [InlineData("a@b..com", false)]
    [InlineData("john <j@x.com>", false)]
    public void Email_check(string email, bool valid) => Assert.Equal(valid, LeadRowNormalizer.IsEmail(email));

    [Theory]
    [InlineData("1200", "1200")]
    [InlineData("$1,234.50", "1234.50")]
    [InlineData("1.234,50 €", "1234.50")]
    [InlineData("12,5", "12.5")]
    [InlineData("Rs. 1,50,000", "150000")]
    [InlineData("-7.25", "-7.25")]
    [InlineData("(300)", "-300")]
    [InlineData("USD 99", "99")]
    public void Amounts_tolerate_symbols_and_separators(string text, string expected)
    {
        Assert.True(LeadRowNormalizer.TryParseAmount(text, out var amount));
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), amount);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("12 apples 3")]
    [InlineData("")]
    public void Non_amounts_are_refused(string text) => Assert.False(LeadRowNormalizer.TryParseAmount(text, out _));

    [Theory]
    [InlineData("India", "IN")]
    [InlineData("  united states ", "US")]
    [InlineData("USA", "US")]
    [InlineData("uk", "GB")]
    [InlineData("DEU", "DE")]
    [InlineData("Deutschland", "DE")]
    [InlineData("Côte d’Ivoire", "CI")]
    [InlineData("Svalbard & Jan Mayen Islands", "SJ")]
    [InlineData("Hong Kong", "HK")]
    [InlineData("United Arab Emirates", "AE")]
    [InlineData("unknown", null)]
    [InlineData("Asia/Pacific Region", null)]
    [InlineData("Europe", null)]
    public void Countries_map_to_iso_alpha_2(string text, string? code) => Assert.Equal(code, Countries.ToAlpha2(text));

    [Theory]
    [InlineData("Select", null)]
    [InlineData(" N/A ", null)]
    [InlineData("na", null)]
    [InlineData("NULL", null)]
    [InlineData("-", null)]
    [InlineData("  ", null)]
    [InlineData(" Selection ", "Selection")]
    [InlineData("Ann\0 Lee", "Ann Lee")]
    [InlineData("\0", null)]
    public void Placeholders_become_empty(string text, string? expected) => Assert.Equal(expected, LeadRowNormalizer.Clean(text));
}
