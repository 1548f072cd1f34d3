using Microsoft.Data.Sqlite;
using Npgsql;

namespace LeadRouter.Data;

/// <summary>Which database LeadRouter uses.</summary>
public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>
/// The one value a user gives (<c>--db</c> / <c>LEADROUTER_DB</c>) turned into a provider and connection
/// string: a file path is SQLite (default <c>./leadrouter.db</c>); a value starting with <c>Host=</c> is an
/// Npgsql connection string; a <c>postgres://user:pass@host:port/db</c> URL is converted to one.
/// </summary>
public sealed record DatabaseTarget(DatabaseProvider Provider, string ConnectionString)
{
    /// <summary>The default embedded database file, relative to the working directory.</summary>
    public const string DefaultSqliteFile = "leadrouter.db";

    /// <summary>Parses a <c>--db</c> value; null or blank means the default SQLite file.</summary>
    /// <exception cref="ArgumentException">The PostgreSQL URL is malformed.</exception>
    public static DatabaseTarget Parse(string? db)
    {
        var value = string.IsNullOrWhiteSpace(db) ? DefaultSqliteFile : db.Trim();
        if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
            value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return new(DatabaseProvider.Postgres, FromUrl(value));
        if (value.StartsWith("Host=", StringComparison.OrdinalIgnoreCase) ||
            value.Contains(";Host=", StringComparison.OrdinalIgnoreCase))
            return new(DatabaseProvider.Postgres, value);
        if (value.StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase))
            return new(DatabaseProvider.Sqlite, value);
        return new(DatabaseProvider.Sqlite, new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(value),
            Pooling = true,
            DefaultTimeout = 60,
        }.ToString());
    }

    /// <summary>A short description for messages, without the password.</summary>
    public string Describe() => Provider == DatabaseProvider.Sqlite
        ? $"SQLite {new SqliteConnectionStringBuilder(ConnectionString).DataSource}"
        : $"PostgreSQL {new NpgsqlConnectionStringBuilder(ConnectionString).Host}/{new NpgsqlConnectionStringBuilder(ConnectionString).Database}";

    static string FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"'{url}' is not a valid postgres:// URL (postgres://user:pass@host:port/database).");
        var user = uri.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
            Username = user.Length > 0 && user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : null,
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : null,
        };
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv.Length == 2 && kv[0] == "sslmode") builder.SslMode = Enum.Parse<SslMode>(kv[1], ignoreCase: true);
        }

        return builder.ToString();
    }
}
