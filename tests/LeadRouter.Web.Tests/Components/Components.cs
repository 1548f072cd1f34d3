using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace LeadRouter.Web.Tests.Components;

/// <summary>A bUnit context for dashboard components: MudBlazor's services, JavaScript calls answered loosely.</summary>
static class Components
{
    public static BunitContext NewContext()
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        return ctx;
    }

    /// <summary>Renders the popover provider that selects and pickers open their lists in (render it before the component).</summary>
    public static IRenderedComponent<MudPopoverProvider> RenderPopovers(this BunitContext ctx) => ctx.Render<MudPopoverProvider>();
}
