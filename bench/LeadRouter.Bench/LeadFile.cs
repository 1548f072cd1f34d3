using System.Globalization;
using System.Text;
using Bogus;

namespace LeadRouter.Bench;

/// <summary>
/// Synthetic lead files shaped like real CRM and ad-platform exports: messy headers, sources in mixed case and
/// spacing, phones in several formats, countries as names, codes and junk, placeholders, repeated e-mails and
/// malformed ones. Deterministic: the same seed and row count give the same bytes, and a shorter file is a prefix
/// of a longer one (row for row).
/// </summary>
static class LeadFile
{
    /// <summary>Rows of the bundled sample.</summary>
    public const int SampleRows = 2400;
    const int Seed = 20_251_106;

    public static readonly string[] Header =
        ["Full Name", "E-mail Address", "Phone Number", "Lead Source", "Country", "City", "Company", "Amount", "Grade", "Score", "Campaign", ""];

    // META and Google (the demo's pools) are the two biggest sources once case and spaces are folded.
    static readonly (string Value, int Weight)[] Sources =
        [("META", 26), ("Meta", 10), (" google ", 9), ("Google", 18), ("Knowlarity", 9), ("Website", 12), ("BTL", 7), ("", 9)];

    static readonly string[] Countries =
        ["United States", "US", "us", "India", "IN", "United Kingdom", "GB", "Germany", "de", "Canada", "CA",
         "Australia", "AU", "United Arab Emirates", "AE", "unknown", "Asia/Pacific Region", "N/A", "Select", ""];

    static readonly string[] UsAreaCodes = ["212", "312", "415", "646", "718", "305", "512", "617", "206", "303", "404", "702"];
    static readonly string[] Grades = ["A", "B", "C", "D", "a", "Select", ""];
    static readonly string[] Campaigns =
        ["Spring Promo", "Webinar", "Retargeting", "Brand Search", "Trade Show", "Referral", "N/A", ""];

    /// <summary>Writes the sample (<see cref="SampleRows"/> rows) to <paramref name="path"/>.</summary>
    public static async Task<int> WriteSampleAsync(string path, CancellationToken ct)
    {
        var rows = await WriteAsync(path, SampleRows, ct);
        Console.WriteLine($"Wrote {rows:N0} rows to {path}");
        return 0;
    }

    /// <summary>Writes a load file of <paramref name="rows"/> rows to <paramref name="path"/>.</summary>
    public static async Task<int> WriteLoadFileAsync(int rows, string path, CancellationToken ct)
    {
        if (rows < 1) throw new BenchArgsException("N must be at least 1.");
        var started = System.Diagnostics.Stopwatch.StartNew();
        await WriteAsync(path, rows, ct);
        Console.WriteLine($"Wrote {rows:N0} rows to {path} ({new FileInfo(path).Length / 1048576.0:N1} MB, {started.Elapsed.TotalSeconds:N1} s)");
        return 0;
    }

    /// <summary>Streams <paramref name="rows"/> data rows (plus the header) to <paramref name="path"/>; returns the row count.</summary>
    public static async Task<int> WriteAsync(string path, int rows, CancellationToken ct)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        await using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16) { NewLine = "\r\n" };
        var line = new StringBuilder(256);
        foreach (var field in Header) Append(line, field);
        await writer.WriteLineAsync(Trim(line));
        var rowsOut = 0;
        foreach (var row in Rows(rows))
        {
            line.Clear();
            foreach (var field in row) Append(line, field);
            await writer.WriteLineAsync(Trim(line));
            if (++rowsOut % 100_000 == 0) ct.ThrowIfCancellationRequested();
        }

        return rowsOut;
    }

    /// <summary>The data rows, one string per column of <see cref="Header"/> (the last one always empty).</summary>
    public static IEnumerable<string[]> Rows(int count)
    {
        var f = new Faker("en") { Random = new Randomizer(Seed) };
        // Small pools drawn once: picking from them is cheap, so a million rows stream in seconds.
        var firstNames = Enumerable.Range(0, 600).Select(_ => f.Name.FirstName()).ToArray();
        var lastNames = Enumerable.Range(0, 900).Select(_ => f.Name.LastName()).ToArray();
        var cities = Enumerable.Range(0, 300).Select(_ => f.Address.City()).ToArray();
        var companies = Enumerable.Range(0, 800).Select(_ => f.Company.CompanyName().Replace(",", "")).ToArray();
        var domains = new[] { "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "example.com", "example.org", "mail.example.net" };
        var sourceTotal = Sources.Sum(s => s.Weight);
        var emails = new List<string>();

        for (var i = 0; i < count; i++)
        {
            var first = f.PickRandom(firstNames);
            var last = f.PickRandom(lastNames);
            var name = f.Random.Int(0, 49) switch { 0 => "", 1 => "N/A", 2 => $"  {first} {last} ", _ => $"{first} {last}" };
            var local = $"{Slug(first)}.{Slug(last)}{i}";
            var domain = f.PickRandom(domains);
            var roll = f.Random.Int(0, 999);
            string email;
            if (roll < 30 && emails.Count > 0) email = emails[f.Random.Int(0, emails.Count - 1)]; // ~3% repeat an earlier lead
            else if (roll < 40) email = f.Random.Bool() ? $"{local}@@{domain}" : $"{local}.{domain}"; // ~1% malformed
            else
            {
                email = roll < 80 ? $"{local}@{domain}".ToUpperInvariant() : roll < 110 ? $" {local}@{domain} " : $"{local}@{domain}";
                if (emails.Count < 50_000) emails.Add(email);
                else emails[f.Random.Int(0, emails.Count - 1)] = email;
            }

            // Pin the first spelling seen of the demo's sources (the display name is the first spelling).
            var source = i switch { 0 => "META", 1 => "Google", _ => PickWeighted(f, sourceTotal) };
            var company = i == 7 ? "Globex, Inc." : f.Random.Int(0, 19) == 0 ? "N/A" : f.PickRandom(companies);
            var campaign = i == 11 ? "Webinar follow-up\nday 2" : f.PickRandom(Campaigns);
            yield return
            [
                name, email, Phone(f), source, f.PickRandom(Countries), f.Random.Int(0, 24) == 0 ? "-" : f.PickRandom(cities),
                company,
                f.Random.Int(0, 9) == 0 ? "" : f.Random.Decimal(100m, 50_000m).ToString("0.00", CultureInfo.InvariantCulture),
                f.PickRandom(Grades),
                f.Random.Int(0, 9) == 0 ? "N/A" : f.Random.Int(0, 100).ToString(CultureInfo.InvariantCulture),
                campaign, "",
            ];
        }
    }

    static string PickWeighted(Faker f, int total)
    {
        var x = f.Random.Int(0, total - 1);
        foreach (var (value, weight) in Sources)
        {
            if (x < weight) return value;
            x -= weight;
        }

        return Sources[^1].Value;
    }

    static string Phone(Faker f)
    {
        string Digits(int n) => f.Random.ReplaceNumbers(new string('#', n));
        var area = f.PickRandom(UsAreaCodes);
        var exchange = f.Random.Int(201, 989).ToString(CultureInfo.InvariantCulture);
        var line = Digits(4);
        return f.Random.Int(0, 19) switch
        {
            0 or 1 or 2 or 3 => $"+1{area}{exchange}{line}",                 // E.164
            4 or 5 => $"+1 {area} {exchange} {line}",                       // international, spaced
            6 or 7 or 8 => $"({area}) {exchange}-{line}",                   // national US
            9 or 10 => $"{area}-{exchange}-{line}",                         // national US
            11 => $"{area}.{exchange}.{line}",                              // national US
            12 or 13 or 14 => $"+91 9{Digits(4)} {Digits(5)}",              // India, spaced
            15 => $"+919{Digits(9)}",                                       // India, E.164
            16 => $"+44 20 7{Digits(3)} {Digits(4)}",                       // UK
            17 => "N/A",
            _ => "",
        };
    }

    static string Slug(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) if (char.IsAsciiLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
        return sb.ToString();
    }

    static void Append(StringBuilder line, string field)
    {
        var quote = field.Length > 0 && (field.AsSpan().IndexOfAny(",\"\r\n") >= 0 || field[0] == ' ' || field[^1] == ' ');
        if (quote) line.Append('"').Append(field.Replace("\"", "\"\"")).Append('"');
        else line.Append(field);
        line.Append(',');
    }

    // Every field is followed by a comma; the last (empty) column leaves the trailing comma of real exports.
    static string Trim(StringBuilder line) => line.ToString(0, line.Length - 1);
}
