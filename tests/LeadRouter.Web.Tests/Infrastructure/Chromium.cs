using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace LeadRouter.Web.Tests.Infrastructure;

/// <summary>
/// Headless Chromium through chromedriver. The browser comes from <c>LEADROUTER_TEST_CHROMIUM</c> (e.g. /usr/bin/chromium);
/// chromedriver from <c>LEADROUTER_TEST_CHROMEDRIVER</c>, else next to the browser. Unset: browser tests skip.
/// Each instance has a fresh profile and download folder, both deleted on dispose.
/// </summary>
public sealed class Chromium : IDisposable
{
    static readonly string? BrowserPath = Environment.GetEnvironmentVariable("LEADROUTER_TEST_CHROMIUM");

    readonly string profile = Directory.CreateTempSubdirectory("lr-chromium-").FullName;
    readonly string baseUrl;

    /// <summary>Why the browser cannot run here, or null.</summary>
    public static string? SkipReason => string.IsNullOrWhiteSpace(BrowserPath) ? "LEADROUTER_TEST_CHROMIUM is not set" : null;

    /// <summary>Where downloads land.</summary>
    public string Downloads { get; }

    public ChromeDriver Driver { get; }

    public Chromium(string baseUrl, int width = 1280, int height = 900)
    {
        this.baseUrl = baseUrl;
        Downloads = Directory.CreateDirectory(Path.Combine(profile, "downloads")).FullName;
        var driverPath = Environment.GetEnvironmentVariable("LEADROUTER_TEST_CHROMEDRIVER") is { Length: > 0 } d
            ? d : Path.Combine(Path.GetDirectoryName(BrowserPath!)!, "chromedriver");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driverPath)!, Path.GetFileName(driverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}",
            $"--window-size={width},{height}");
        options.AddUserProfilePreference("download.default_directory", Downloads);
        options.AddUserProfilePreference("download.prompt_for_download", false);
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>Opens a path of the app.</summary>
    public void Open(string path) => Driver.Navigate().GoToUrl(baseUrl + path);

    /// <summary>The current path (and query) of the page.</summary>
    public string CurrentPath => new Uri(Driver.Url).PathAndQuery;

    /// <summary>Waits until <paramref name="probe"/> returns a value (not null, not false); fails with <paramref name="what"/> after 20 s.</summary>
    public T Until<T>(Func<T?> probe, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var value = probe();
                if (value is not null && value is not false) return value;
            }
            catch (WebDriverException e) { last = e; }
            catch (InvalidOperationException e) { last = e; }
            Thread.Sleep(100);
        }

        var name = "failed-" + string.Concat(what.Where(char.IsLetterOrDigit)).ToLowerInvariant();
        File.WriteAllText(Path.ChangeExtension(Screenshot(name), ".html"), Driver.PageSource);
        throw new TimeoutException($"Timed out waiting for: {what} (page {Driver.Url}). {last?.Message}");
    }

    /// <summary>The first element matching <paramref name="css"/>, once it is displayed.</summary>
    public IWebElement Find(string css) =>
        Until(() => Driver.FindElements(By.CssSelector(css)).FirstOrDefault(e => e.Displayed), $"element {css}");

    /// <summary>Waits until the interactive circuit has taken over the page (the layout marks it).</summary>
    public void WaitInteractive() => Find("#main[data-interactive='true']");

    /// <summary>Signs in through the login page, expecting to land on <paramref name="landing"/>.</summary>
    public void SignIn(string email, string password, string landing)
    {
        Find("#email").SendKeys(email);
        Find("#password").SendKeys(password);
        Find("#sign-in").Click();
        Until(() => CurrentPath.StartsWith(landing, StringComparison.Ordinal), $"landing on {landing}");
    }

    /// <summary>Saves a PNG of the page under TestResults/screenshots (a test artifact).</summary>
    public string Screenshot(string name)
    {
        var dir = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots")).FullName;
        var file = Path.Combine(dir, name + ".png");
        Driver.GetScreenshot().SaveAsFile(file);
        return file;
    }

    /// <summary>Resizes the window (e.g. to a phone's width).</summary>
    public void Resize(int width, int height) => Driver.Manage().Window.Size = new System.Drawing.Size(width, height);

    public void Dispose()
    {
        try { Driver.Quit(); } finally { Driver.Dispose(); }
        try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
