using System.Globalization;
using System.Text;
using ExcelDataReader;
using Sylvan.Data.Csv;

namespace LeadRouter.Data.Leads.Intake;

/// <summary>
/// Reads a lead file record by record. <see cref="RowNumber"/> is the record's physical number in the file: the header is
/// row 1 (unless blank lines precede it, which are skipped but counted) and every record after it counts, blank ones
/// included (a quoted field spanning several lines is one record).
/// </summary>
abstract class LeadFileReader : IDisposable
{
    public abstract IReadOnlyList<string> Headers { get; }
    public abstract int RowNumber { get; }
    public abstract int FieldCount { get; }
    public abstract string GetString(int ordinal);
    public abstract long BytesRead { get; }
    public abstract ValueTask<bool> ReadAsync(CancellationToken ct);
    public abstract void Dispose();

    /// <summary>Opens a CSV or XLSX reader: by the file's extension, or by the ZIP signature of the content.</summary>
    public static async Task<LeadFileReader> OpenAsync(Stream file, string fileName, string? sheet, CancellationToken ct)
    {
        var (head, length, atEnd) = await TextDecoding.PeekAsync(file, ct);
        if (length == 0) throw new ImportInputException($"{fileName} is empty.");
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        var zip = length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        var excel = extension is ".xlsx" or ".xlsm" or ".xlsb" or ".xls" || zip;
        if (excel) return await XlsxFileReader.OpenAsync(head, length, file, fileName, sheet, ct);

        var (encoding, start) = TextDecoding.Detect(head.AsSpan(0, length), atEnd);
        // Blank lines before the header are skipped (they still count as rows); UTF-16 files keep them.
        var blankLines = 0;
        if (encoding is not UnicodeEncoding)
        {
            for (; start < length && head[start] is (byte)'\r' or (byte)'\n'; start++)
                if (head[start] == '\n' || (head[start] == '\r' && (start + 1 == length || head[start + 1] != '\n'))) blankLines++;
        }
        var delimiter = DetectDelimiter(encoding.GetString(head, start, length - start));
        var stream = new PeekedStream(head, start, length, file);
        return await CsvFileReader.OpenAsync(stream, encoding, delimiter, blankLines, fileName, ct);
    }

    /// <summary>The delimiter (<c>,</c> <c>;</c> tab <c>|</c>) seen most often outside quotes in the first non-blank line; comma on a tie or none.</summary>
    internal static char DetectDelimiter(string text)
    {
        ReadOnlySpan<char> candidates = [',', ';', '\t', '|'];
        Span<int> counts = stackalloc int[candidates.Length];
        var quoted = false;
        var seenContent = false;
        foreach (var c in text)
        {
            if (c == '"') quoted = !quoted;
            else if (!quoted && c is '\r' or '\n')
            {
                if (seenContent) break;
                continue;
            }
            if (!char.IsWhiteSpace(c)) seenContent = true;
            if (quoted) continue;
            var i = candidates.IndexOf(c);
            if (i >= 0) counts[i]++;
        }
        var best = 0;
        for (var i = 1; i < candidates.Length; i++) if (counts[i] > counts[best]) best = i;
        return candidates[best];
    }
}

sealed class CsvFileReader : LeadFileReader
{
    readonly CsvDataReader csv;
    readonly PeekedStream stream;
    readonly string[] headers;

    readonly int headerRow;

    CsvFileReader(CsvDataReader csv, PeekedStream stream, int headerRow)
    {
        this.headerRow = headerRow;
        this.csv = csv;
        this.stream = stream;
        headers = new string[csv.FieldCount];
        for (var i = 0; i < headers.Length; i++) headers[i] = csv.GetName(i);
    }

    public static async Task<LeadFileReader> OpenAsync(PeekedStream stream, System.Text.Encoding encoding, char delimiter, int blankLines, string fileName, CancellationToken ct)
    {
        var text = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024);
        var options = new CsvDataReaderOptions
        {
            HasHeaders = true,
            Delimiter = delimiter,
            BufferSize = 64 * 1024,
            MaxBufferSize = 16 * 1024 * 1024,
            OwnsReader = true,
        };
        try
        {
            var csv = await CsvDataReader.CreateAsync(text, options, ct);
            return new CsvFileReader(csv, stream, blankLines + 1);
        }
        catch (CsvFormatException e)
        {
            throw new ImportInputException($"{fileName} cannot be read as CSV: {e.Message}");
        }
    }

    public override IReadOnlyList<string> Headers => headers;
    public override int RowNumber => csv.RowNumber + headerRow;
    public override int FieldCount => csv.RowFieldCount;
    public override string GetString(int ordinal) => ordinal < csv.RowFieldCount ? csv.GetString(ordinal) : "";
    public override long BytesRead => stream.BytesRead;

    public override async ValueTask<bool> ReadAsync(CancellationToken ct)
    {
        try
        {
            return await csv.ReadAsync(ct);
        }
        catch (CsvFormatException e)
        {
            throw new ImportInputException($"The file cannot be read as CSV at row {e.RowNumber + headerRow}: {e.Message}");
        }
    }

    public override void Dispose() => csv.Dispose();
}

/// <summary>XLSX (and XLS) through ExcelDataReader, which needs a seekable stream: a non-seekable upload is first copied to a temporary file.</summary>
sealed class XlsxFileReader : LeadFileReader
{
    readonly IExcelDataReader excel;
    readonly Stream stream;
    readonly bool ownsStream;
    readonly string[] headers;
    readonly string[] values;
    int row;
    int fieldCount;

    XlsxFileReader(IExcelDataReader excel, Stream stream, bool ownsStream, string[] headers, int headerRow)
    {
        row = headerRow;
        this.excel = excel;
        this.stream = stream;
        this.ownsStream = ownsStream;
        this.headers = headers;
        values = new string[Math.Max(headers.Length, excel.FieldCount)];
    }

    public static async Task<LeadFileReader> OpenAsync(byte[] head, int length, Stream file, string fileName, string? sheet, CancellationToken ct)
    {
        _ = TextDecoding.Windows1252; // registers the code pages ExcelDataReader needs for legacy files
        Stream seekable;
        if (file.CanSeek)
        {
            file.Seek(-length, SeekOrigin.Current);
            seekable = file;
        }
        else
        {
            var temp = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
                FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            await temp.WriteAsync(head.AsMemory(0, length), ct);
            await file.CopyToAsync(temp, ct);
            temp.Position = 0;
            seekable = temp;
        }

        IExcelDataReader? excel = null;
        try
        {
            excel = ExcelReaderFactory.CreateReader(seekable, new ExcelReaderConfiguration { LeaveOpen = true });
            var names = new List<string>();
            var found = sheet is null;
            while (!found)
            {
                names.Add(excel.Name ?? "");
                found = string.Equals(excel.Name?.Trim(), sheet!.Trim(), StringComparison.OrdinalIgnoreCase);
                if (!found && !excel.NextResult()) break;
            }
            if (!found) throw new ImportInputException($"{fileName} has no sheet named '{sheet}'. Sheets: {string.Join(", ", names)}.");
            // Empty rows above the header are skipped but counted, so row numbers stay the sheet's.
            var headerRow = 0;
            string[] headers;
            do
            {
                if (!excel.Read()) throw new ImportInputException($"{fileName}: the sheet '{excel.Name}' is empty.");
                headerRow++;
                headers = new string[excel.FieldCount];
                for (var i = 0; i < headers.Length; i++) headers[i] = Format(excel.GetValue(i));
            }
            while (headers.All(string.IsNullOrWhiteSpace));
            return new XlsxFileReader(excel, seekable, seekable != file, headers, headerRow);
        }
        catch (Exception e) when (e is not ImportInputException and not OperationCanceledException)
        {
            excel?.Dispose();
            if (seekable != file) await seekable.DisposeAsync();
            throw new ImportInputException($"{fileName} cannot be read as a spreadsheet: {e.Message}");
        }
    }

    public override IReadOnlyList<string> Headers => headers;
    public override int RowNumber => row;
    public override int FieldCount => fieldCount;
    public override string GetString(int ordinal) => ordinal < fieldCount ? values[ordinal] : "";
    public override long BytesRead => 0;

    public override ValueTask<bool> ReadAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (!excel.Read()) return ValueTask.FromResult(false);
        row++;
        fieldCount = Math.Min(excel.FieldCount, values.Length);
        for (var i = 0; i < fieldCount; i++) values[i] = Format(excel.GetValue(i));
        return ValueTask.FromResult(true);
    }

    static string Format(object? value) => value switch
    {
        null => "",
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTime t => t.TimeOfDay == TimeSpan.Zero
            ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
        bool b => b ? "TRUE" : "FALSE",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public override void Dispose()
    {
        excel.Dispose();
        if (ownsStream) stream.Dispose();
    }
}
