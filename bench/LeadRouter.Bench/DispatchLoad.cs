using System.Diagnostics;
using System.Net;
using LeadRouter.Data.Brokers;
using LeadRouter.Data.Leads;
using LeadRouter.Web.Features.Brokers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace LeadRouter.Bench;

/// <summary>
/// <c>dispatch</c>: N due deliveries (outbox rows of routed leads, written in bulk, not timed) of one broker whose endpoint
/// is a local Kestrel receiver on 127.0.0.1 answering 200; times <see cref="DispatchDeliveries.DrainAsync"/> (claim a
/// batch, sign, POST, record the attempt and its log row) until every delivery is delivered.
/// </summary>
static class DispatchLoad
{
    public static async Task<int> RunAsync(BenchArgs args, CancellationToken ct)
    {
        var count = args.Int("deliveries", 5_000);
        var batch = args.Int("batch", 100);
        var parallelism = args.Int("parallelism", 16);
        Console.WriteLine($"dispatch: {count:N0} deliveries, batch {batch}, parallelism {parallelism}; {BenchArgs.Machine}");

        await using var db = await BenchDatabase.CreateAsync(args.String("db"), ct);
        await using var web = await BenchWebApp.StartAsync(db, new Dictionary<string, string?>
        {
            ["Brokers:AllowedHosts:0"] = "127.0.0.1",
            ["Brokers:DispatchBatchSize"] = batch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Brokers:DispatchParallelism"] = parallelism.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, ct, listen: false);
        Console.WriteLine($"database: {db.Describe}");

        var received = 0;
        var rb = WebApplication.CreateSlimBuilder();
        rb.Logging.ClearProviders();
        rb.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        await using var receiver = rb.Build();
        receiver.Run(async http =>
        {
            await http.Request.Body.CopyToAsync(Stream.Null, http.RequestAborted);
            Interlocked.Increment(ref received);
            http.Response.StatusCode = 200;
            await http.Response.WriteAsync("ok", http.RequestAborted);
        });
        await receiver.StartAsync(ct);
        var endpoint = receiver.Urls.Single() + "/leads";

        var broker = await web.Get<BrokerDirectory>().AddAsync(new NewBroker("bench-push", 5, 10, ["AE"], AutoPush: true), ct);
        await web.Get<BrokerApiConfig>().SetAsync(new BrokerApiConfigRequest(broker.Id, endpoint, "key-0123456789abcd"), ct);
        await SeedAsync(db, broker.Id, count, ct);

        var dispatcher = web.Get<DispatchDeliveries>();
        await WarmAsync(db, dispatcher, broker.Id, ct);

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var attempts = await dispatcher.DrainAsync(ct);
        watch.Stop();
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

        await using var check = await db.Dbs.CreateDbContextAsync(ct);
        var delivered = await check.Deliveries.CountAsync(d => d.Status == DeliveryStatus.Delivered, ct) - 1; // less the warm-up one
        Console.WriteLine($"{attempts:N0} attempts, {delivered:N0} delivered in {watch.Elapsed.TotalSeconds:F2} s = " +
            $"{delivered / watch.Elapsed.TotalSeconds:N0} deliveries/s; receiver got {received - 1:N0}; process CPU {cpuSeconds:F1} s " +
            $"(bench, app and receiver in one process); load average {BenchArgs.LoadAverage}");
        return delivered == count && attempts == count ? 0 : 1;
    }

    /// <summary>One delivery first, so JIT, EF query compilation and the HTTP connection are not in the timed run.</summary>
    static async Task WarmAsync(BenchDatabase db, DispatchDeliveries dispatcher, long brokerId, CancellationToken ct)
    {
        await using (var ctx = await db.Dbs.CreateDbContextAsync(ct))
        {
            var due = await ctx.Deliveries.OrderBy(d => d.Id).FirstAsync(ct);
            var lead = await ctx.Leads.AsNoTracking().SingleAsync(l => l.Id == due.LeadId, ct);
            await dispatcher.PushNowAsync(lead.Id, brokerId, ct);
        }
    }

    static async Task SeedAsync(BenchDatabase db, long brokerId, int count, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        await using var ctx = await db.Dbs.CreateDbContextAsync(ct);
        ctx.ChangeTracker.AutoDetectChangesEnabled = false;
        var import = ctx.Imports.Add(new Import { FileName = "bench.csv", CreatedAt = now, Rows = count, Accepted = count }).Entity;
        await ctx.SaveChangesAsync(ct);
        var tag = Guid.NewGuid().ToString("N")[..8];
        for (var start = 0; start < count; start += 5_000)
        {
            var leads = Enumerable.Range(start, Math.Min(5_000, count - start)).Select(i => new Lead
            {
                IdentityKey = $"email:push.{tag}.{i}@example.com",
                Email = $"push.{tag}.{i}@example.com",
                Name = $"Push Lead {i}",
                Phone = $"+97150{i:D7}",
                Country = "AE",
                Amount = 500m,
                ImportId = import.Id,
                BrokerId = brokerId,
                Status = LeadStatus.Pending,
                CreatedAt = now,
                AssignedAt = now,
                StatusChangedAt = now,
            }).ToList();
            ctx.Leads.AddRange(leads);
            ctx.ChangeTracker.DetectChanges();
            await ctx.SaveChangesAsync(ct);
            // Routed leads: each has its routing row (so the push is counted in the broker report, all in one cell).
            ctx.BrokerAssignments.AddRange(leads.Select(l => new BrokerAssignment
            {
                LeadId = l.Id,
                BrokerId = brokerId,
                Priority = 5,
                Country = "AE",
                Trigger = RoutingTrigger.Import,
                Decision = "{}",
                RoutedAt = now,
            }));
            ctx.Deliveries.AddRange(leads.Select(l => new Delivery
            {
                WebhookId = "msg_" + Guid.CreateVersion7().ToString("N"),
                LeadId = l.Id,
                BrokerId = brokerId,
                Trigger = DeliveryTrigger.Routing,
                Status = DeliveryStatus.Pending,
                NextAttemptAt = now,
                CreatedAt = now,
            }));
            ctx.ChangeTracker.DetectChanges();
            await ctx.SaveChangesAsync(ct);
            ctx.ChangeTracker.Clear();
        }
    }
}
