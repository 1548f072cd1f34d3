using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using LeadRouter.Data;
using LeadRouter.Data.Members;
using Microsoft.EntityFrameworkCore;
using Sylvan.Data.Csv;

namespace LeadRouter.Web.Features.Members;

/// <summary>One problem in a member file: the row number in the file (the header is row 1), the column and why.</summary>
public sealed record MemberImportError(int Row, string Column, string Message);

/// <summary>What a member import did: members added and updated, rows rejected, and every problem.</summary>
public sealed record MemberImportReport(int Added, int Updated, int Rejected, bool Stored, IReadOnlyList<MemberImportError> Errors);

/// <summary>
/// Adds or updates members in bulk from a CSV with columns <c>username,email,tier</c> and optional <c>suspended</c>
/// (true/false, yes/no, 1/0; empty = false), matched by user name. Like lead imports, a file with any bad row is rejected
/// whole (nothing stored) unless <c>skipInvalid</c> is set, which stores the valid rows and reports the rest. Logins are
/// not created here.
/// </summary>
public sealed partial class ImportMembers(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    static readonly string[] Required = ["username", "email", "tier"];
    static readonly EmailAddressAttribute EmailCheck = new();

    [GeneratedRegex(@"^[A-Za-z0-9._@-]{1,100}$")]
    private static partial Regex UsernamePattern();

    public async Task<MemberImportReport> RunAsync(TextReader csvText, bool skipInvalid, CancellationToken ct)
    {
        await using var csv = await CsvDataReader.CreateAsync(csvText, new CsvDataReaderOptions { HasHeaders = true }, ct);
        var columns = Enumerable.Range(0, csv.FieldCount).ToDictionary(i => csv.GetName(i).Trim().ToLowerInvariant(), i => i);
        var missing = Required.Where(c => !columns.ContainsKey(c)).ToList();
        if (missing.Count > 0)
            return new MemberImportReport(0, 0, 0, false, missing.Select(c => new MemberImportError(1, c, $"Missing column '{c}'.")).ToList());

        await using var db = await dbs.CreateDbContextAsync(ct);
        var tiers = await db.Tiers.AsNoTracking().ToListAsync(ct);
        var errors = new List<MemberImportError>();
        var rows = new List<(int Row, string Username, string Email, long TierId, bool Suspended)>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var rowNumber = 1;
        while (await csv.ReadAsync(ct))
        {
            rowNumber++;
            string Get(string c) => columns.TryGetValue(c, out var i) && i < csv.RowFieldCount ? csv.GetString(i).Trim() : "";
            var rowErrors = new List<MemberImportError>();
            var username = Get("username");
            var email = Get("email").ToLowerInvariant();
            var tierName = Get("tier");
            if (!UsernamePattern().IsMatch(username))
                rowErrors.Add(new(rowNumber, "username", username.Length == 0 ? "Required." : "Use 1-100 letters, digits and . _ @ - only."));
            else if (seen.TryGetValue(username, out var first))
                rowErrors.Add(new(rowNumber, "username", $"'{username}' is already on row {first}."));
            if (email.Length == 0 || !EmailCheck.IsValid(email)) rowErrors.Add(new(rowNumber, "email", email.Length == 0 ? "Required." : $"'{email}' is not an e-mail address."));
            var tier = tiers.FirstOrDefault(t => string.Equals(t.Name, tierName, StringComparison.OrdinalIgnoreCase));
            if (tier is null) rowErrors.Add(new(rowNumber, "tier", $"Unknown tier '{tierName}'; use {string.Join(", ", tiers.Select(t => t.Name))}."));
            var suspended = Get("suspended").ToLowerInvariant() switch
            {
                "" or "false" or "no" or "0" => (bool?)false,
                "true" or "yes" or "1" => true,
                _ => null,
            };
            if (suspended is null) rowErrors.Add(new(rowNumber, "suspended", $"'{Get("suspended")}' is not true/false."));
            if (rowErrors.Count > 0) errors.AddRange(rowErrors);
            else rows.Add((rowNumber, username, email, tier!.Id, suspended!.Value));
            if (username.Length > 0) seen.TryAdd(username, rowNumber);
        }

        var rejected = errors.Select(e => e.Row).Distinct().Count();
        if (rowNumber == 1) errors.Add(new(1, "", "The file has no rows."));
        if (errors.Count > 0 && !skipInvalid) return new MemberImportReport(0, 0, rejected, false, errors);

        var names = rows.Select(r => r.Username).ToList();
        var existing = await db.Members.Where(m => names.Contains(m.Username)).ToDictionaryAsync(m => m.Username, StringComparer.Ordinal, ct);
        var now = clock.GetUtcNow();
        int added = 0, updated = 0;
        foreach (var r in rows)
        {
            if (existing.TryGetValue(r.Username, out var m))
            {
                m.Email = r.Email;
                m.TierId = r.TierId;
                m.Suspended = r.Suspended;
                updated++;
            }
            else
            {
                db.Members.Add(new Member { Username = r.Username, Email = r.Email, TierId = r.TierId, Suspended = r.Suspended, CreatedAt = now });
                added++;
            }
        }

        await db.SaveChangesAsync(ct);
        return new MemberImportReport(added, updated, rejected, true, errors);
    }
}
