using LeadRouter.Domain.Replenishment;

namespace LeadRouter.Domain.Tests.Replenishment;

public sealed class ReplenishmentPolicyTests
{
    // Seed 001's automation_config.json, verbatim (comments, blank line and two-space indents included).
    const string SeedConfig = """
        {
          "lead_inventory_thresholds": {
            "min_total_leads": 50,      // Trigger replenishment
            "target_total_leads": 150,  // Target inventory level
            "min_priority_leads": {
              "A+": 10,  // Minimum A+ leads
              "A": 30,   // Minimum A leads  
              "B": 20    // Minimum B leads
            }
          },
          
          "upload_controls": {
            "max_upload_per_run": 100,        // Safety limit per cycle
            "max_daily_uploads": 500,         // Daily upload limit
            "min_time_between_uploads_hours": 1  // Cooldown period
          }
        }
        """;

    internal static ReplenishmentPolicy Valid(string json) =>
        ReplenishmentPolicy.Parse(json) switch
        {
            PolicyParseResult.Valid v => v.Policy,
            PolicyParseResult.Invalid i => throw new Xunit.Sdk.XunitException("Policy rejected: " + string.Join("; ", i.Errors)),
            _ => throw new InvalidOperationException(),
        };

    static IReadOnlyList<PolicyFieldError> Errors(string json) =>
        Assert.IsType<PolicyParseResult.Invalid>(ReplenishmentPolicy.Parse(json)).Errors;

    [Fact]
    public void Seed_001_config_with_comments_parses_to_the_seed_defaults()
    {
        var policy = Valid(SeedConfig);

        Assert.Equal(50, policy.MinTotalLeads);
        Assert.Equal(150, policy.TargetTotalLeads);
        Assert.Equal(10, policy.MinGradeLeads["A+"]);
        Assert.Equal(30, policy.MinGradeLeads["A"]);
        Assert.Equal(20, policy.MinGradeLeads["B"]);
        Assert.Equal(100, policy.MaxUploadPerRun);
        Assert.Equal(500, policy.MaxDailyUploads);
        Assert.Equal(TimeSpan.FromHours(1), policy.Cooldown);
        Assert.Equal([20.0, 50.0, 30.0], [policy.Mix["A+"], policy.Mix["A"], policy.Mix["B"]]);
        Assert.Equal(TimeZoneInfo.Utc, policy.TimeZone);
        Assert.Null(policy.BusinessHours);
        Assert.Empty(policy.Holidays);
        Assert.Null(policy.MaxAvailableLeadsPerAgent);
        Assert.Empty(policy.Validate());
    }

    [Fact]
    public void Missing_keys_keep_defaults_and_grade_minimums_merge_per_grade()
    {
        var policy = Valid("""{ "lead_inventory_thresholds": { "min_priority_leads": { "a+": 4, "C": 5, }, }, "upload_controls": { "min_time_between_uploads_hours": 0.5 } }""");

        Assert.Equal(50, policy.MinTotalLeads);
        Assert.Equal(4, policy.MinGradeLeads["A+"]);
        Assert.Equal(30, policy.MinGradeLeads["A"]);
        Assert.Equal(5, policy.MinGradeLeads["C"]);
        Assert.Equal(TimeSpan.FromMinutes(30), policy.Cooldown);
        Assert.Equal(100, policy.MaxUploadPerRun);
    }

    [Fact]
    public void Optional_sections_parse_business_hours_holidays_time_zone_mix_and_overload()
    {
        var policy = Valid("""
            {
              "priority_mix": { "A+": 25, "A": 25, "B": 50 }, // replaces the default mix
              "time_zone": "Asia/Kolkata",
              "business_hours": { "days": ["Mon", "tuesday", "Sat"], "start": "09:30", "end": 18 },
              "holidays": ["2025-01-26", "2025-08-15"],
              "agent_overload_protection": { "max_available_leads_per_agent": 25 }
            }
            """);

        Assert.Equal([25.0, 25.0, 50.0], [policy.Mix["A+"], policy.Mix["A"], policy.Mix["B"]]);
        Assert.Equal("Asia/Kolkata", policy.TimeZone.Id);
        var hours = Assert.IsType<BusinessHours>(policy.BusinessHours);
        Assert.Equal([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Saturday], hours.Days.Order());
        Assert.Equal(new TimeOnly(9, 30), hours.Start);
        Assert.Equal(new TimeOnly(18, 0), hours.End);
        Assert.Equal([new DateOnly(2025, 1, 26), new DateOnly(2025, 8, 15)], policy.Holidays.Order());
        Assert.Equal(25, policy.MaxAvailableLeadsPerAgent);
    }

    [Fact]
    public void Disabled_sections_stay_off_and_business_hours_can_name_the_time_zone()
    {
        var policy = Valid("""
            {
              "business_hours": { "enabled": false, "time_zone": "Asia/Kolkata" },
              "agent_overload_protection": { "enabled": false, "max_available_leads_per_agent": 25 }
            }
            """);

        Assert.Null(policy.BusinessHours);
        Assert.Null(policy.MaxAvailableLeadsPerAgent);
        Assert.Equal("Asia/Kolkata", policy.TimeZone.Id);
    }

    [Fact]
    public void Every_bad_field_is_reported_by_name()
    {
        var errors = Errors("""
            {
              "lead_inventory_thresholds": { "min_total_leads": 200, "target_total_leads": 100, "min_priority_leads": { "A": -1 } },
              "upload_controls": { "max_upload_per_run": -5, "max_daily_uploads": "lots", "min_time_between_uploads_hours": -1 },
              "priority_mix": { "A+": 20, "A": 50, "B": 20 },
              "time_zone": "Mars/Olympus",
              "business_hours": { "days": ["Mon", "Funday"], "start": "18:00", "end": "09:00" },
              "holidays": ["2025-13-01"],
              "agent_overload_protection": { "max_available_leads_per_agent": 0 }
            }
            """);

        var fields = errors.Select(e => e.Field).ToHashSet();
        Assert.Contains("lead_inventory_thresholds.target_total_leads", fields);
        Assert.Contains("lead_inventory_thresholds.min_priority_leads.A", fields);
        Assert.Contains("upload_controls.max_upload_per_run", fields);
        Assert.Contains("upload_controls.max_daily_uploads", fields);
        Assert.Contains("upload_controls.min_time_between_uploads_hours", fields);
        Assert.Contains("priority_mix", fields);
        Assert.Contains("time_zone", fields);
        Assert.Contains("business_hours.days[1]", fields);
        Assert.Contains("business_hours.end", fields);
        Assert.Contains("holidays[0]", fields);
        Assert.Contains("agent_overload_protection.max_available_leads_per_agent", fields);
        Assert.Contains(errors, e => e.Field == "priority_mix" && e.Message.Contains("sums to 90"));
        Assert.Contains(errors, e => e.Field == "lead_inventory_thresholds.target_total_leads" && e.Message.Contains("min_total_leads (200)"));
        Assert.Contains(errors, e => e.ToString() == "upload_controls.max_daily_uploads: is \"lots\"; it must be a whole number.");
    }

    [Theory]
    [InlineData("not json", "$")]
    [InlineData("[1, 2]", "$")]
    [InlineData("""{ "upload_controls": [] }""", "upload_controls")]
    [InlineData("""{ "upload_controls": { "max_upload_per_run": 1.5 } }""", "upload_controls.max_upload_per_run")]
    [InlineData("""{ "upload_controls": { "max_upload_per_run": 0 } }""", "upload_controls.max_upload_per_run")]
    [InlineData("""{ "holidays": "2025-12-25" }""", "holidays")]
    [InlineData("""{ "agent_overload_protection": { } }""", "agent_overload_protection.max_available_leads_per_agent")]
    [InlineData("""{ "time_zone": "UTC", "business_hours": { "time_zone": "Asia/Kolkata" } }""", "business_hours.time_zone")]
    public void Malformed_input_names_the_field(string json, string field) =>
        Assert.Contains(Errors(json), e => e.Field == field);

    [Fact]
    public void Day_start_is_local_midnight_in_the_policy_time_zone()
    {
        var ist = ReplenishmentPolicy.Default with { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata") };
        var now = new DateTimeOffset(2025, 1, 6, 20, 0, 0, TimeSpan.Zero); // 01:30 on 7 January in India

        Assert.Equal(new DateTimeOffset(2025, 1, 6, 18, 30, 0, TimeSpan.Zero), ist.DayStart(now));
        Assert.Equal(new DateTimeOffset(2025, 1, 6, 0, 0, 0, TimeSpan.Zero), ReplenishmentPolicy.Default.DayStart(now));
    }

    [Fact]
    public void Day_start_follows_daylight_saving_time()
    {
        var newYork = ReplenishmentPolicy.Default with { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York") };
        var santiago = ReplenishmentPolicy.Default with { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago") };

        // New York: EDT (−4) in July, EST (−5) in January.
        Assert.Equal(new DateTimeOffset(2025, 7, 1, 4, 0, 0, TimeSpan.Zero), newYork.DayStart(new DateTimeOffset(2025, 7, 1, 15, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2025, 1, 6, 5, 0, 0, TimeSpan.Zero), newYork.DayStart(new DateTimeOffset(2025, 1, 6, 15, 0, 0, TimeSpan.Zero)));
        // Santiago skipped midnight on 8 September 2024 (00:00 −04 became 01:00 −03): the day began at 04:00 UTC.
        Assert.Equal(new DateTimeOffset(2024, 9, 8, 4, 0, 0, TimeSpan.Zero), santiago.DayStart(new DateTimeOffset(2024, 9, 8, 15, 0, 0, TimeSpan.Zero)));
    }
}
