using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Data.Leads.Intake;

/// <summary>
/// Imports one CSV or XLSX lead file: streams it row by row, normalises each row, de-duplicates by identity key in the
/// database and stores leads, sources and the import record in one transaction. The CLI and the upload API both call it.
/// </summary>
public sealed class LeadImporter(IDbContextFactory<LeadRouterDb> dbs, TimeProvider clock)
{
    const int ProgressEvery = 1000;
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Imports <paramref name="file"/> (read once, forward only; it may be a non-seekable upload stream).
    /// By default a file with any invalid row is rejected as a whole and nothing is stored; with
    /// <see cref="ImportOptions.SkipInvalid"/> the valid rows are stored and the others reported.
    /// </summary>
    /// <exception cref="ImportInputException">The file is empty or unreadable, or a column the options name is missing.</exception>
    public async Task<ImportReport> ImportAsync(Stream file, ImportOptions options, IProgress<ImportProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(options);
        var totalBytes = file.CanSeek ? file.Length - file.Position : 0;

        using var reader = await LeadFileReader.OpenAsync(file, options.FileName, options.Sheet, ct);
        var map = new HeaderMap(reader.Headers, options);
        var normalizer = new LeadRowNormalizer(map, options);
        var now = clock.GetUtcNow();

        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var store = await LeadStore.BeginAsync(db, ct);
        var import = new Import
        {
            FileName = options.FileName,
            Purpose = options.Purpose,
            ImportedBy = options.ImportedBy,
            CreatedAt = now,
        };
        db.Imports.Add(import);
        await db.SaveChangesAsync(ct);

        var errors = new List<ImportError>();
        var warnings = new List<ImportError>();
        var duplicates = new List<DuplicateRow>();
        var sourceIds = new HashSet<long>();
        var batch = new List<Lead>(store.BatchSize);
        var batchRows = new List<int>(store.BatchSize);
        var batchKeys = new HashSet<string>(StringComparer.Ordinal);
        var inserted = new bool[store.BatchSize];
        int rows = 0, accepted = 0, rejected = 0;

        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            await store.InsertAsync(batch, inserted, ct);
            for (var i = 0; i < batch.Count; i++)
            {
                if (inserted[i])
                {
                    accepted++;
                    if (batch[i].SourceId is { } sourceId) sourceIds.Add(sourceId);
                }
                else duplicates.Add(new(batchRows[i], batch[i].IdentityKey));
            }
            batch.Clear();
            batchRows.Clear();
            batchKeys.Clear();
        }

        while (await reader.ReadAsync(ct))
        {
            if (LeadRowNormalizer.IsBlank(reader)) continue;
            rows++;
            if (rows % ProgressEvery == 0) progress?.Report(new(rows, reader.BytesRead, totalBytes));

            var lead = normalizer.Normalize(reader, errors, warnings, out var source);
            if (lead is null)
            {
                rejected++;
                continue;
            }
            if (!batchKeys.Add(lead.IdentityKey))
            {
                // Same key earlier in this batch: the database would drop it too; the earlier row wins.
                duplicates.Add(new(reader.RowNumber, lead.IdentityKey));
                continue;
            }
            if (source is not null) lead.SourceId = await store.SourceIdAsync(source, now, ct);
            lead.ImportId = import.Id;
            lead.CreatedAt = now;
            batch.Add(lead);
            batchRows.Add(reader.RowNumber);
            if (batch.Count == store.BatchSize) await FlushAsync();
        }
        await FlushAsync();
        progress?.Report(new(rows, reader.BytesRead, totalBytes));

        if (rows == 0) throw new ImportInputException($"{options.FileName} has a header but no rows.");

        duplicates.Sort((a, b) => a.Row.CompareTo(b.Row));
        var stored = rejected == 0 || options.SkipInvalid;
        if (!stored)
        {
            // Disposing the store rolls the transaction back: no leads, no sources, no import record.
            return new ImportReport(null, options.FileName, rows, 0, duplicates.Count, rejected, warnings.Count,
                errors, warnings, duplicates, [], Stored: false);
        }

        import.Rows = rows;
        import.Accepted = accepted;
        import.Duplicates = duplicates.Count;
        import.Rejected = rejected;
        import.Warnings = warnings.Count;
        import.Errors = errors.Count == 0 ? null : JsonSerializer.Serialize(errors, Json);
        await db.SaveChangesAsync(ct);
        await store.CommitAsync(ct);

        return new ImportReport(import.Id, options.FileName, rows, accepted, duplicates.Count, rejected, warnings.Count,
            errors, warnings, duplicates, [.. sourceIds.Order()], Stored: true);
    }
}
