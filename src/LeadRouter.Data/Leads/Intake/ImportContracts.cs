namespace LeadRouter.Data.Leads.Intake;

/// <summary>How one lead file is read and stored (the options of <c>leadrouter import</c> and the upload API).</summary>
public sealed record ImportOptions
{
    /// <summary>The file's name: recorded on the import and used to pick CSV or XLSX by its extension.</summary>
    public required string FileName { get; init; }

    /// <summary>What the leads are for: <see cref="ImportPurpose.Reserve"/> stores them as <see cref="LeadStatus.Reserve"/>, the others as <see cref="LeadStatus.New"/>.</summary>
    public ImportPurpose Purpose { get; init; } = ImportPurpose.Agents;

    /// <summary>One source for every row (<c>--source</c>); wins over <see cref="SourceColumn"/> and a recognised source column.</summary>
    public string? Source { get; init; }

    /// <summary>The header of the column that holds each row's source (<c>--source-column</c>).</summary>
    public string? SourceColumn { get; init; }

    /// <summary>Field → header overrides (<c>--map field=Header</c>), e.g. <c>email=Correo</c>. Fields: id, name, firstname, lastname, email, phone, company, address, city, country, source, amount, grade, score.</summary>
    public IReadOnlyDictionary<string, string> Map { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The XLSX sheet to read; the first sheet when null.</summary>
    public string? Sheet { get; init; }

    /// <summary>The libphonenumber region (e.g. <c>IN</c>, <c>US</c>) for phone numbers written without a country code; none by default.</summary>
    public string? DefaultRegion { get; init; }

    /// <summary>Import the valid rows and report the others as rejected, instead of rejecting the whole file.</summary>
    public bool SkipInvalid { get; init; }

    /// <summary>Who imported the file, recorded on the import.</summary>
    public string? ImportedBy { get; init; }

    /// <summary>Fields (or headers) the file must have, e.g. Name, Email, Address for member uploads; a missing one is an <see cref="ImportInputException"/>.</summary>
    public IReadOnlyCollection<string>? RequiredColumns { get; init; }
}

/// <summary>One problem with one row: its physical record number in the file (the header is row 1), the column (header text) and the reason.</summary>
public sealed record ImportError(int Row, string? Column, string Message);

/// <summary>A row whose identity key was already known (earlier in the file or stored by an earlier import); it was not inserted.</summary>
public sealed record DuplicateRow(int Row, string IdentityKey);

/// <summary>Progress of a running import. <see cref="TotalBytes"/> is 0 when the stream's length is unknown.</summary>
public readonly record struct ImportProgress(long RowsRead, long BytesRead, long TotalBytes);

/// <summary>
/// The outcome of one import. <see cref="Rows"/> counts data rows (blank lines excluded). When <see cref="Stored"/> is false
/// nothing was written: <see cref="ImportId"/> is null, <see cref="Accepted"/> is 0 and <see cref="Errors"/> lists every problem.
/// <see cref="Errors"/> and <see cref="DuplicateRows"/> are complete; <see cref="WarningList"/> holds the first 10,000
/// warnings while <see cref="Warnings"/> counts them all.
/// </summary>
public sealed record ImportReport(
    long? ImportId,
    string FileName,
    int Rows,
    int Accepted,
    int Duplicates,
    int Rejected,
    int Warnings,
    IReadOnlyList<ImportError> Errors,
    IReadOnlyList<ImportError> WarningList,
    IReadOnlyList<DuplicateRow> DuplicateRows,
    IReadOnlyList<long> SourceIds,
    bool Stored);

/// <summary>
/// The file or the options cannot be used at all: empty or unreadable file, a header named in <see cref="ImportOptions.Map"/>,
/// <see cref="ImportOptions.SourceColumn"/> or <see cref="ImportOptions.RequiredColumns"/> that is missing, an unknown sheet.
/// The CLI maps it to exit code 2.
/// </summary>
public sealed class ImportInputException(string message) : Exception(message);
