using LeadRouter.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace LeadRouter.Web.Features.Accounts;

/// <summary>A login as shown: id, e-mail and roles. Never the password hash.</summary>
public sealed record UserDto(string Id, string Email, IReadOnlyList<string> Roles);

/// <summary>Creates logins (ASP.NET Core Identity) with one of the roles Admin, Agent, Member.</summary>
public sealed class UserAccounts(UserManager<IdentityUser> users, RoleManager<IdentityRole> roles, LeadRouterDb db)
{
    /// <summary>Creates the roles if they are missing (run after migrations).</summary>
    public async Task EnsureRolesAsync(CancellationToken ct)
    {
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole(role));
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Creates a login. An Agent login is linked to the agent with the same e-mail, if there is one.
    /// </summary>
    /// <exception cref="InputException">Unknown role, e-mail taken, or the password breaks the password rules (each listed).</exception>
    public async Task<UserDto> AddAsync(string email, string password, string role, CancellationToken ct)
    {
        var roleName = Roles.All.FirstOrDefault(r => string.Equals(r, role?.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new InputException("role", $"Unknown role '{role}'; use {string.Join(", ", Roles.All)}.");
        await EnsureRolesAsync(ct);
        email = email.Trim().ToLowerInvariant();
        var user = new IdentityUser { UserName = email, Email = email, EmailConfirmed = true };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
            throw new InputException(created.Errors.GroupBy(e => e.Code.Contains("Password") ? "password" : "email")
                .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray()));
        await users.AddToRoleAsync(user, roleName);
        if (roleName == Roles.Agent)
            await db.Agents.Where(a => a.Email == email && a.UserId == null)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.UserId, user.Id), ct);
        return new UserDto(user.Id, email, [roleName]);
    }

    /// <summary>Sets a new password for a login (an admin's reset), lifts any lockout and signs its sessions out.</summary>
    /// <exception cref="InputException">No such login, or the password breaks the password rules (each listed).</exception>
    public async Task ResetPasswordAsync(string userId, string newPassword, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(userId) ?? throw new InputException("user", "No such login.");
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var reset = await users.ResetPasswordAsync(user, token, newPassword ?? "");
        if (!reset.Succeeded)
            throw new InputException(new Dictionary<string, string[]> { ["password"] = reset.Errors.Select(e => e.Description).ToArray() });
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>All logins with their roles.</summary>
    public async Task<IReadOnlyList<UserDto>> ListAsync(CancellationToken ct)
    {
        var list = await users.Users.OrderBy(u => u.Email).ToListAsync(ct);
        var result = new List<UserDto>();
        foreach (var u in list) result.Add(new UserDto(u.Id, u.Email ?? u.UserName ?? u.Id, [.. await users.GetRolesAsync(u)]));
        return result;
    }
}
