var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/health", () => "ok");
app.Run();

/// <summary>The web host's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;
