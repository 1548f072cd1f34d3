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

    /// <summary>Warnings listed in the report (all are counted): a million-row file with a bad phone on every row stays small.</summary>
    internal const int MaxListedWarnings = 10_000;
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
        var unlistedWarnings = 0;
        var duplicates = new List<DuplicateRow>();
        var sourceIds = new HashSet<long>();
        var batch = new Batch(store.BatchSize);
        var batchKeys = new HashSet<string>(StringComparer.Ordinal);
        Batch? writing = null;
        Task? write = null;
        int rows = 0, accepted = 0, rejected = 0;

        // One batch is written while the next is parsed: the database works while the file is read.
        async Task CompleteWriteAsync()
        {
            if (write is null) return;
            await write;
            write = null;
            for (var i = 0; i < writing!.Leads.Count; i++)
            {
                if (writing.Inserted[i])
                {
                    accepted++;
                    if (writing.Leads[i].SourceId is { } sourceId) sourceIds.Add(sourceId);
                }
                else duplicates.Add(new(writing.Rows[i], writing.Leads[i].IdentityKey));
            }
            writing.Clear();
        }

        async Task FlushAsync()
        {
            await CompleteWriteAsync();
            if (batch.Leads.Count == 0) return;
            (writing, batch) = (batch, writing ?? new Batch(store.BatchSize));
            var leads = writing!;
            write = Task.Run(() => store.InsertAsync(leads.Leads, leads.Inserted, ct), ct);
            batchKeys.Clear();
        }

        try
        {
            while (await reader.ReadAsync(ct))
            {
                if (LeadRowNormalizer.IsBlank(reader)) continue;
                rows++;
                if (rows % ProgressEvery == 0) progress?.Report(new(rows, reader.BytesRead, totalBytes));

                var lead = normalizer.Normalize(reader, errors, warnings, out var source);
                if (warnings.Count > MaxListedWarnings)
                {
                    unlistedWarnings += warnings.Count - MaxListedWarnings;
                    warnings.RemoveRange(MaxListedWarnings, warnings.Count - MaxListedWarnings);
                }
                if (lead is null)
                {
                    rejected++;
                    continue;
                }
                if (!batchKeys.Add(lead.IdentityKey))
                {
                    // Same key earlier in this batch: the database would skip it too; the earlier row wins.
                    duplicates.Add(new(reader.RowNumber, lead.IdentityKey));
                    continue;
                }
                if (source is not null)
                {
                    if (!store.TryGetSourceId(source, out var sourceId))
                    {
                        await CompleteWriteAsync(); // one command at a time on the connection
                        sourceId = await store.SourceIdAsync(source, now, ct);
                    }
                    lead.SourceId = sourceId;
                }
                lead.ImportId = import.Id;
                lead.CreatedAt = now;
                batch.Add(lead, reader.RowNumber);
                if (batch.Leads.Count == store.BatchSize) await FlushAsync();
            }
            await FlushAsync();
            await CompleteWriteAsync();
        }
        finally
        {
            // Never leave a write running on the connection when the transaction is disposed.
            if (write is not null) await write.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        progress?.Report(new(rows, reader.BytesRead, totalBytes));

        if (rows == 0) throw new ImportInputException($"{options.FileName} has a header but no rows.");

        duplicates.Sort((a, b) => a.Row.CompareTo(b.Row));
        var stored = rejected == 0 || options.SkipInvalid;
        if (!stored)
        {
            // Disposing the store rolls the transaction back: no leads, no sources, no import record.
            return new ImportReport(null, options.FileName, rows, 0, duplicates.Count, rejected, warnings.Count + unlistedWarnings,
                errors, warnings, duplicates, [], Stored: false);
        }

        import.Rows = rows;
        import.Accepted = accepted;
        import.Duplicates = duplicates.Count;
        import.Rejected = rejected;
        import.Warnings = warnings.Count + unlistedWarnings;
        import.Errors = errors.Count == 0 ? null : JsonSerializer.Serialize(errors, Json);
        await db.SaveChangesAsync(ct);
        await store.CommitAsync(ct);

        return new ImportReport(import.Id, options.FileName, rows, accepted, duplicates.Count, rejected, warnings.Count + unlistedWarnings,
            errors, warnings, duplicates, [.. sourceIds.Order()], Stored: true);
    }

    sealed class Batch(int size)
    {
        public List<Lead> Leads { get; } = new(size);
        public List<int> Rows { get; } = new(size);
        public bool[] Inserted { get; } = new bool[size];

        public void Add(Lead lead, int row)
        {
            Leads.Add(lead);
            Rows.Add(row);
        }

        public void Clear()
        {
            Leads.Clear();
            Rows.Clear();
        }
    }
}
