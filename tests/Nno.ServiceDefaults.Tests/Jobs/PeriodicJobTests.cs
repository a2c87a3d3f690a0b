using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Nno.ServiceDefaults.Jobs;
using Nno.Testing;

namespace Nno.ServiceDefaults.Tests.Jobs;

/// <summary>A database with just the lease table.</summary>
public sealed class JobsDbContext(DbContextOptions<JobsDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddNnoJobLeases();
}

/// <summary>Counts runs across every "replica" of a test; can be told to fail.</summary>
public sealed class RunCounter
{
    private int _runs;

    public int Runs => Volatile.Read(ref _runs);

    public bool Fail { get; set; }

    public int Increment() => Interlocked.Increment(ref _runs);
}

public sealed class CountingJob(RunCounter counter) : IPeriodicJob
{
    public Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (counter.Fail)
        {
            throw new InvalidOperationException("the job broke");
        }

        counter.Increment();
        return Task.FromResult(1);
    }
}

/// <summary>The lease-based periodic job runner: one run per period across replicas, schedule kept in the database.</summary>
public sealed class PeriodicJobTests : IDisposable
{
    private const string Job = "test.counting";
    private static readonly TimeSpan Period = TimeSpan.FromHours(1);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly RunCounter _counter = new();

    private string File => Path.Combine(_dir.Path, "jobs.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private async Task<IHost> StartReplicaAsync()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddFilter(_ => false);
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddSingleton(_counter);
        builder.Services.AddDbContext<JobsDbContext>(o => o.UseSqlite($"Data Source={File}"));
        builder.Services.AddNnoPeriodicJob<JobsDbContext, CountingJob>(Job, _ => Period);
        var host = builder.Build();
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<JobsDbContext>().Database.EnsureCreatedAsync();
        }

        await host.StartAsync();
        return host;
    }

    private static JobRunLog Log(IHost host) => host.Services.GetRequiredService<JobRunLog>();

    private static async Task StopAsync(IHost host)
    {
        await host.StopAsync();
        host.Dispose();
    }

    [Fact]
    public async Task FirstStart_SchedulesTheJobOnePeriodAhead_WithoutRunningIt()
    {
        var host = await StartReplicaAsync();
        try
        {
            var lease = await host.Services.GetRequiredService<JobLeases<JobsDbContext>>().FindAsync(Job, CancellationToken.None);
            Assert.NotNull(lease);
            Assert.Equal(_time.GetUtcNow().Add(Period).ToUnixTimeMilliseconds(), lease.LeasedUntil);
            Assert.Equal(string.Empty, lease.Holder);

            _time.Advance(Period - TimeSpan.FromMinutes(1));
            Assert.Equal(0, Log(host).Passes(Job));

            _time.Advance(TimeSpan.FromMinutes(1));
            var run = await Log(host).WaitForPassAsync(Job, 0).WaitAsync(Wait);
            Assert.Equal(JobRunOutcome.Completed, run.Outcome);
            Assert.Equal(1, _counter.Runs);
        }
        finally
        {
            await StopAsync(host);
        }
    }

    [Fact]
    public async Task TwoReplicas_OnOneDatabase_RunTheJobOncePerPeriod()
    {
        var a = await StartReplicaAsync();
        var b = await StartReplicaAsync();
        try
        {
            for (var period = 1; period <= 3; period++)
            {
                var passesA = Log(a).Passes(Job);
                var passesB = Log(b).Passes(Job);
                _time.Advance(Period);
                var runA = await Log(a).WaitForPassAsync(Job, passesA).WaitAsync(Wait);
                var runB = await Log(b).WaitForPassAsync(Job, passesB).WaitAsync(Wait);

                Assert.Equal(period, _counter.Runs);
                Assert.Equal(
                    [JobRunOutcome.Completed, JobRunOutcome.Skipped],
                    new[] { runA.Outcome, runB.Outcome }.Order());
            }
        }
        finally
        {
            await StopAsync(a);
            await StopAsync(b);
        }
    }

    [Fact]
    public async Task Restart_AfterTheJobFellDue_RunsItAtOnce_AndNotAgainBeforeTheNextPeriod()
    {
        var first = await StartReplicaAsync();
        await StopAsync(first);

        // Down for longer than a period: the run that fell due meanwhile is not forgotten.
        _time.Advance(Period + TimeSpan.FromMinutes(30));
        var second = await StartReplicaAsync();
        try
        {
            var run = await Log(second).WaitForPassAsync(Job, 0).WaitAsync(Wait);
            Assert.Equal(JobRunOutcome.Completed, run.Outcome);
            Assert.Equal(1, _counter.Runs);

            var lease = await second.Services.GetRequiredService<JobLeases<JobsDbContext>>().FindAsync(Job, CancellationToken.None);
            Assert.Equal(_time.GetUtcNow().Add(Period).ToUnixTimeMilliseconds(), lease!.LeasedUntil);
            Assert.NotEqual(string.Empty, lease.Holder);

            _time.Advance(Period - TimeSpan.FromSeconds(1));
            Assert.Equal(1, Log(second).Passes(Job));
            _time.Advance(TimeSpan.FromSeconds(1));
            await Log(second).WaitForPassAsync(Job, 1).WaitAsync(Wait);
            Assert.Equal(2, _counter.Runs);
        }
        finally
        {
            await StopAsync(second);
        }
    }

    [Fact]
    public async Task FailingRun_IsReportedAsFailed_AndTheNextPeriodRunsAgain()
    {
        var host = await StartReplicaAsync();
        try
        {
            _counter.Fail = true;
            _time.Advance(Period);
            var failed = await Log(host).WaitForPassAsync(Job, 0).WaitAsync(Wait);
            Assert.Equal(JobRunOutcome.Failed, failed.Outcome);
            Assert.Equal(0, _counter.Runs);

            _counter.Fail = false;
            _time.Advance(Period);
            var completed = await Log(host).WaitForPassAsync(Job, 1).WaitAsync(Wait);
            Assert.Equal(JobRunOutcome.Completed, completed.Outcome);
            Assert.Equal(1, _counter.Runs);
        }
        finally
        {
            await StopAsync(host);
        }
    }

    [Fact]
    public async Task Lease_HeldByAnotherHolder_IsRefusedUntilItEnds()
    {
        var host = await StartReplicaAsync();
        try
        {
            var leases = host.Services.GetRequiredService<JobLeases<JobsDbContext>>();
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var first = await leases.TryAcquireAsync("test.other", "replica-a", now, now + 1000, CancellationToken.None);
            var second = await leases.TryAcquireAsync("test.other", "replica-b", now + 999, now + 2000, CancellationToken.None);
            var third = await leases.TryAcquireAsync("test.other", "replica-b", now + 1000, now + 2000, CancellationToken.None);

            Assert.Equal(new JobLeaseResult(true, now + 1000), first);
            Assert.Equal(new JobLeaseResult(false, now + 1000), second);
            Assert.Equal(new JobLeaseResult(true, now + 2000), third);
            Assert.Equal("replica-b", (await leases.FindAsync("test.other", CancellationToken.None))!.Holder);
        }
        finally
        {
            await StopAsync(host);
        }
    }
}
