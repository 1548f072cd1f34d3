using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace LeadRouter.Data.Leads.Intake;

/// <summary>
/// Picks the text encoding of a CSV file from its first bytes, without reading the whole stream:
/// a UTF-8 (or UTF-16) byte order mark wins; otherwise the first <see cref="PeekSize"/> bytes are checked as UTF-8 and,
/// if they are not valid UTF-8, the file is read as Windows-1252. A file that looks like UTF-8 at the start is decoded as
/// UTF-8 whose invalid bytes further on fall back, byte by byte, to Windows-1252, so a late stray byte never fails or
/// turns into U+FFFD.
/// </summary>
static class TextDecoding
{
    public const int PeekSize = 64 * 1024;

    /// <summary>Windows-1252; touching it registers the code pages provider (ExcelDataReader needs it too).</summary>
    public static Encoding Windows1252 { get; } = RegisterCodePages();

    static Encoding RegisterCodePages()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(1252);
    }

    /// <summary>UTF-8 without a BOM whose invalid bytes decode as Windows-1252.</summary>
    public static Encoding Utf8WithFallback { get; } =
        Encoding.GetEncoding(65001, EncoderFallback.ReplacementFallback, new Windows1252DecoderFallback());

    /// <summary>Reads up to <see cref="PeekSize"/> bytes (fewer only at the end of the stream).</summary>
    public static async Task<(byte[] Buffer, int Length, bool AtEnd)> PeekAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[PeekSize];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0) return (buffer, length, true);
            length += read;
        }
        return (buffer, length, false);
    }

    /// <summary>The encoding and the length of the byte order mark to skip.</summary>
    public static (Encoding Encoding, int Preamble) Detect(ReadOnlySpan<byte> head, bool atEnd)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return (Utf8WithFallback, 3);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return (new UnicodeEncoding(false, false), 2);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return (new UnicodeEncoding(true, false), 2);
        return IsUtf8(head, atEnd) ? (Utf8WithFallback, 0) : (Windows1252, 0);
    }

    static bool IsUtf8(ReadOnlySpan<byte> bytes, bool atEnd)
    {
        var chars = ArrayPool<char>.Shared.Rent(bytes.Length + 1);
        try
        {
            // isFinalBlock: false lets a multi-byte sequence cut at the end of the peek pass as NeedMoreData.
            var status = Utf8.ToUtf16(bytes, chars, out _, out _, replaceInvalidSequences: false, isFinalBlock: atEnd);
            return status is System.Buffers.OperationStatus.Done or System.Buffers.OperationStatus.NeedMoreData;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    sealed class Windows1252DecoderFallback : DecoderFallback
    {
        static readonly char[] Table = BuildTable();

        static char[] BuildTable()
        {
            var bytes = new byte[256];
            for (var i = 0; i < 256; i++) bytes[i] = (byte)i;
            return Windows1252.GetChars(bytes);
        }

        public override int MaxCharCount => 4;

        public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer();

        sealed class Buffer : DecoderFallbackBuffer
        {
            readonly char[] chars = new char[4];
            int count;
            int next;

            public override bool Fallback(byte[] bytesUnknown, int index)
            {
                count = Math.Min(bytesUnknown.Length, chars.Length);
                for (var i = 0; i < count; i++) chars[i] = Table[bytesUnknown[i]];
                next = 0;
                return count > 0;
            }

            public override char GetNextChar() => next < count ? chars[next++] : '\0';

            public override bool MovePrevious()
            {
                if (next == 0) return false;
                next--;
                return true;
            }

            public override int Remaining => count - next;

            public override void Reset() => count = next = 0;
        }
    }
}

/// <summary>Replays bytes already peeked from a stream, then continues with the rest of it; counts the bytes read.</summary>
sealed class PeekedStream(byte[] head, int offset, int length, Stream rest) : Stream
{
    int position = offset;
    long consumed = length;

    /// <summary>Bytes taken from the underlying stream so far (including the peek).</summary>
    public long BytesRead => consumed;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (position < length)
        {
            var n = Math.Min(buffer.Length, length - position);
            head.AsSpan(position, n).CopyTo(buffer);
            position += n;
            return n;
        }
        var read = rest.Read(buffer);
        consumed += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (position < length) return Read(buffer.Span);
        var read = await rest.ReadAsync(buffer, cancellationToken);
        consumed += read;
        return read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
