namespace LeadRouter.Web.Features.Accounts;

/// <summary>The three roles and the authorization policies built on them.</summary>
public static class Roles
{
    public const string Admin = "Admin";
    public const string Agent = "Agent";
    public const string Member = "Member";

    /// <summary>Every role, for seeding.</summary>
    public static readonly IReadOnlyList<string> All = [Admin, Agent, Member];

    /// <summary>Policy: admins only.</summary>
    public const string AdminPolicy = "admin";
    /// <summary>Policy: admins and agents (agents see only their own leads).</summary>
    public const string StaffPolicy = "staff";
}
