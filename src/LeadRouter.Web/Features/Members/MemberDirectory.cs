using System.ComponentModel.DataAnnotations;
using LeadRouter.Data;
using LeadRouter.Data.Members;
using LeadRouter.Web.Features.Accounts;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Members;

/// <summary>A member as the API, CLI and dashboard show it.</summary>
public sealed record MemberDto(long Id, string Username, string Email, string Tier, bool Suspended, bool EmailOptOut,
    bool HasLogin, DateTimeOffset CreatedAt)
{
    internal static readonly System.Linq.Expressions.Expression<Func<Member, MemberDto>> Projection =
        m => new MemberDto(m.Id, m.Username, m.Email, m.Tier!.Name, m.Suspended, m.EmailOptOut, m.UserId != null, m.CreatedAt);
}

/// <summary>A tier as shown: name, leads per run, eligible.</summary>
public sealed record TierDto(long Id, string Name, int LeadsPerRun, bool Eligible);

/// <summary>
/// A new member. <c>Password</c>: when given, a login with role Member is created with the member's e-mail;
/// without it the member has no login until an admin sets one.
/// </summary>
public sealed record NewMember(
    [property: Required, StringLength(100, MinimumLength = 1), RegularExpression(@"^[A-Za-z0-9._@-]+$",
        ErrorMessage = "Use letters, digits and . _ @ - only (the user name is part of file names).")] string Username,
    [property: Required, EmailAddress] string Email,
    [property: Required] string Tier,
    bool Suspended = false,
    bool EmailOptOut = false,
    string? Password = null);

/// <summary>Changes to a member; null leaves a field as it is.</summary>
public sealed record MemberChanges(
    [property: EmailAddress] string? Email = null,
    string? Tier = null,
    bool? Suspended = null,
    bool? EmailOptOut = null);

/// <summary>Members and tiers: create, list, change, delete (seed 002).</summary>
public sealed class MemberDirectory(IDbContextFactory<LeadRouterDb> dbs, UserAccounts accounts, TimeProvider clock)
{
    /// <summary>Creates a member (and its login when a password is given).</summary>
    /// <exception cref="InputException">User name taken, unknown tier, bad e-mail, or the password breaks the rules.</exception>
    public async Task<MemberDto> AddAsync(NewMember request, CancellationToken ct)
    {
        Validation.Check(request);
        var username = request.Username.Trim();
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await db.Members.AnyAsync(m => m.Username == username, ct))
            throw new InputException("username", $"A member named '{username}' already exists.");
        var tier = await FindTierAsync(db, request.Tier, ct);
        var email = request.Email.Trim().ToLowerInvariant();
        string? userId = null;
        if (request.Password is not null)
            userId = (await accounts.AddAsync(email, request.Password, Roles.Member, ct)).Id;
        var member = new Member
        {
            Username = username,
            Email = email,
            TierId = tier.Id,
            Suspended = request.Suspended,
            EmailOptOut = request.EmailOptOut,
            UserId = userId,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Members.Add(member);
        await db.SaveChangesAsync(ct);
        return await db.Members.Where(m => m.Id == member.Id).Select(MemberDto.Projection).SingleAsync(ct);
    }

    /// <summary>All members by user name.</summary>
    public async Task<IReadOnlyList<MemberDto>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Members.OrderBy(m => m.Username).Select(MemberDto.Projection).ToListAsync(ct);
    }

    /// <summary>One member by id (digits) or user name; null when there is none.</summary>
    public async Task<MemberDto?> GetAsync(string idOrUsername, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var member = await TryFindAsync(db, idOrUsername, ct);
        return member is null ? null : await db.Members.Where(m => m.Id == member.Id).Select(MemberDto.Projection).SingleAsync(ct);
    }

    /// <summary>Changes a member.</summary>
    /// <exception cref="InputException">No such member, unknown tier or a bad e-mail.</exception>
    public async Task<MemberDto> SetAsync(string idOrUsername, MemberChanges changes, CancellationToken ct)
    {
        Validation.Check(changes);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var member = await TryFindAsync(db, idOrUsername, ct) ?? throw new InputException("member", $"No member '{idOrUsername.Trim()}'.");
        if (changes.Email is not null) member.Email = changes.Email.Trim().ToLowerInvariant();
        if (changes.Tier is not null) member.TierId = (await FindTierAsync(db, changes.Tier, ct)).Id;
        if (changes.Suspended is { } suspended) member.Suspended = suspended;
        if (changes.EmailOptOut is { } optOut) member.EmailOptOut = optOut;
        await db.SaveChangesAsync(ct);
        return await db.Members.Where(m => m.Id == member.Id).Select(MemberDto.Projection).SingleAsync(ct);
    }

    /// <summary>
    /// Deletes a member who never received a lead; true when deleted, false when there is no such member.
    /// A member with shares keeps its history (suspend it instead).
    /// </summary>
    /// <exception cref="InputException">The member has received leads.</exception>
    public async Task<bool> DeleteAsync(string idOrUsername, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var member = await TryFindAsync(db, idOrUsername, ct);
        if (member is null) return false;
        if (await db.Shares.AnyAsync(s => s.MemberId == member.Id, ct))
            throw new InputException("member", $"Member '{member.Username}' has received leads; suspend it instead of deleting it.");
        db.Members.Remove(member);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>The tiers, largest allocation first.</summary>
    public async Task<IReadOnlyList<TierDto>> TiersAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Tiers.OrderByDescending(t => t.Eligible).ThenByDescending(t => t.LeadsPerRun).ThenBy(t => t.Name)
            .Select(t => new TierDto(t.Id, t.Name, t.LeadsPerRun, t.Eligible)).ToListAsync(ct);
    }

    static async Task<Member?> TryFindAsync(LeadRouterDb db, string idOrUsername, CancellationToken ct)
    {
        var key = idOrUsername.Trim();
        return long.TryParse(key, out var id)
            ? await db.Members.SingleOrDefaultAsync(m => m.Id == id || m.Username == key, ct)
            : await db.Members.SingleOrDefaultAsync(m => m.Username == key, ct);
    }

    /// <summary>Finds a tier by name, case-insensitively.</summary>
    /// <exception cref="InputException">No such tier (the message lists the tiers).</exception>
    static async Task<Tier> FindTierAsync(LeadRouterDb db, string name, CancellationToken ct)
    {
        var tiers = await db.Tiers.ToListAsync(ct);
        return tiers.FirstOrDefault(t => string.Equals(t.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new InputException("tier", $"Unknown tier '{name}'; use {string.Join(", ", tiers.Select(t => t.Name))}.");
    }
}
