using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace LeadRouter.Web.Features.Dashboard;

/// <summary>Base of dashboard pages: a token cancelled when the page goes away, and the signed-in user.</summary>
public abstract class DashboardPage : ComponentBase, IDisposable
{
    readonly CancellationTokenSource lifetime = new();

    [CascadingParameter] Task<AuthenticationState>? AuthState { get; set; }

    /// <summary>Cancelled when the page is disposed (navigation away, circuit closed).</summary>
    protected CancellationToken Ct => lifetime.Token;

    /// <summary>The signed-in user.</summary>
    protected async Task<ClaimsPrincipal> UserAsync() =>
        AuthState is null ? new ClaimsPrincipal() : (await AuthState).User;

    /// <summary>The signed-in user's Identity id.</summary>
    protected async Task<string?> UserIdAsync() => (await UserAsync()).FindFirstValue(ClaimTypes.NameIdentifier);

    public void Dispose()
    {
        lifetime.Cancel();
        lifetime.Dispose();
        GC.SuppressFinalize(this);
    }
}
