using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nno.Billing.Data;
using Nno.Billing.Prices;
using Nno.Billing.Stripe;
using Nno.Core.Errors;
using Nno.Core.Pagination;
using Nno.Core.Services;
using Nno.ServiceDefaults.Idempotency;
using Nno.ServiceDefaults.Limits;
using Nno.ServiceDefaults.Paging;
using Nno.ServiceDefaults.Security;
using Stripe;

namespace Nno.Billing.Api;

/// <summary>B14 body.</summary>
internal sealed record CreateSubscriptionRequest
{
    public string? PlatformId { get; init; }

    public string? Tier { get; init; }

    public int? TrialDays { get; init; }
}

/// <summary>
/// B14 <c>POST /subscriptions</c> (internal, the Registry) and B1 <c>GET /subscription</c> (owner/admin, operators, the
/// Registry), billing.md §3 and §4.1.
/// </summary>
internal static class SubscriptionsApi
{
    /// <summary>Seconds a 409 <c>operation_in_progress</c> asks the caller to wait (it also keeps the answer out of the idempotency store).</summary>
    public const int InProgressRetryAfterSeconds = 1;

    public static IEndpointRouteBuilder MapSubscriptions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/subscriptions", CreateAsync).WithTags("Subscriptions").WithName("CreateSubscription")
            .WithSummary("B14: create the platform's monthly subscription (201; 200 on an identical repeat).")
            .ServiceOnly(NnoServices.Registry).WithRequestBodyLimit(BillingApi.MaxBodyBytes).WithIdempotency();
        app.MapGet("/subscription", GetAsync).WithTags("Subscriptions").WithName("GetSubscription")
            .WithSummary("B1: the platform's subscription.")
            .AllowServices(NnoServices.Registry);
        app.MapGet("/subscriptions", ListAsync).WithTags("Subscriptions").WithName("ListSubscriptions")
            .WithSummary("B15: every platform's subscription, oldest change first (keyset on updatedAt, platformId).")
            .AllowServices(NnoServices.Registry);
        return app;
    }

    private static async Task<Results<Created<SubscriptionView>, Ok<SubscriptionView>>> CreateAsync(
        CreateSubscriptionRequest body, HttpContext context, BillingDbContext db, StripeClient stripe, TierPriceMap prices, PlatformGate gate,
        IOptions<BillingOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        context.RequirePrincipal();
        var config = options.Value;
        var fields = new BillingFields();
        var pid = fields.PlatformId(body.PlatformId);
        var tier = fields.Tier(body.Tier);
        var trialDays = fields.IntRange("trialDays", body.TrialDays, 0, 30) ?? config.TrialDays;
        fields.ThrowIfAny();

        var customer = await db.Customers.AsNoTracking().SingleOrDefaultAsync(c => c.PlatformId == pid, cancellationToken)
            ?? throw new ApiException(ErrorCodes.Conflict, "The platform has no billing customer yet (B12 first).", new { reason = "customer_missing" });
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (await db.Subscriptions.AsNoTracking().SingleOrDefaultAsync(s => s.PlatformId == pid, cancellationToken) is { } existing)
        {
            return TypedResults.Ok(Existing(existing, tier, customer, config, now));
        }

        var price = prices.PriceOf(tier)
            ?? throw ApiException.Unavailable($"The {tier} tier has no Stripe price yet.", config.PriceRetrySeconds);
        using var held = gate.TryEnter(pid) ?? throw InProgress();

        var subscription = await StripeCalls.RunAsync(() => stripe.V1.Subscriptions.CreateAsync(
            new SubscriptionCreateOptions
            {
                Customer = customer.StripeCustomerId,
                Items = [new SubscriptionItemOptions { Price = price.StripePriceId }],
                TrialPeriodDays = trialDays > 0 ? trialDays : null,
                PaymentBehavior = "allow_incomplete",
                CollectionMethod = "charge_automatically",
                Metadata = new Dictionary<string, string> { ["platformId"] = pid },
                Expand = ["latest_invoice"],
            },
            StripeIdempotencyKeys.Options(StripeIdempotencyKeys.Subscription(pid)), cancellationToken), cancellationToken);

        var itemPrice = subscription.Items?.Data?.FirstOrDefault()?.Price?.Id;
        var row = StripeSubscriptionMirror.NewRow(pid, subscription, (itemPrice is null ? null : prices.TierOf(itemPrice)) ?? tier, now);
        db.Subscriptions.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another replica's B14 for the platform inserted first (same Stripe key, so the same subscription).
            db.ChangeTracker.Clear();
            var winner = await db.Subscriptions.AsNoTracking().SingleOrDefaultAsync(s => s.PlatformId == pid, cancellationToken)
                ?? throw new InvalidOperationException("The subscription row vanished.");
            return TypedResults.Ok(Existing(winner, tier, customer, config, now));
        }

        return TypedResults.Created($"/subscription?platformId={pid}", SubscriptionView.From(row, customer.StripeCustomerId, config.PastDueGraceDays));
    }

    private static async Task<Ok<SubscriptionView>> GetAsync(
        [FromQuery] string? platformId, HttpContext context, BillingDbContext db, IOptions<BillingOptions> options, CancellationToken cancellationToken)
    {
        var pid = BillingCallers.RequirePlatform(context, platformId, "subscription");
        var found = await (from s in db.Subscriptions.AsNoTracking()
                           join c in db.Customers.AsNoTracking() on s.PlatformId equals c.PlatformId
                           where s.PlatformId == pid
                           select new { Subscription = s, c.StripeCustomerId }).SingleOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound("subscription", "The platform has no subscription.");
        return TypedResults.Ok(SubscriptionView.From(found.Subscription, found.StripeCustomerId, options.Value.PastDueGraceDays));
    }

    /// <summary>
    /// B15 for the Registry's sweep (registry.md §4.6) and operators: ordered <c>(updatedAt, platformId)</c> ascending on
    /// its index, <c>updatedAfter</c> strictly after, <c>status</c> exact; one join for the customer id, never Stripe.
    /// </summary>
    private static async Task<Ok<Page<SubscriptionView>>> ListAsync(
        [FromQuery] string? status, [FromQuery] string? updatedAfter, HttpContext context, BillingDbContext db, BillingCursors cursors,
        IOptions<BillingOptions> options, CancellationToken cancellationToken)
    {
        BillingCallers.RequireOperatorOrService(context);
        var fields = new BillingFields();
        if (status is not null && !Data.SubscriptionStatuses.All.Contains(status))
        {
            fields.Add("status", "must be one of " + string.Join(", ", Data.SubscriptionStatuses.All));
        }

        long? after = null;
        if (updatedAfter is not null)
        {
            if (DateTimeOffset.TryParse(updatedAfter, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
                && updatedAfter.Contains('T', StringComparison.Ordinal))
            {
                after = at.ToUnixTimeMilliseconds();
            }
            else
            {
                fields.Add("updatedAfter", "must be an ISO 8601 time");
            }
        }

        var page = ListCursors.ParseQuery(context.Request);
        fields.ThrowIfAny();
        var pager = cursors.Pager("subscriptions", ("status", status), ("updatedAfter", after?.ToString(CultureInfo.InvariantCulture)));
        var rows = db.Subscriptions.AsNoTracking();
        rows = status is null ? rows : rows.Where(s => s.Status == status);
        rows = after is null ? rows : rows.Where(s => s.UpdatedAt > after);
        int? total = page.IncludeTotal ? await rows.CountAsync(cancellationToken) : null;
        if (pager.After(page) is { } position)
        {
            var (u, pid) = (position.Expect(2).GetInt64(0), position.GetString(1));
            rows = rows.Where(s => s.UpdatedAt > u || (s.UpdatedAt == u && string.Compare(s.PlatformId, pid) > 0));
        }

        var fetched = await (from s in rows.OrderBy(s => s.UpdatedAt).ThenBy(s => s.PlatformId).Take(page.FetchCount)
                             join c in db.Customers.AsNoTracking() on s.PlatformId equals c.PlatformId
                             select new { Row = s, c.StripeCustomerId })
            .ToListAsync(cancellationToken);
        // The join keeps Take's rows but not necessarily their order.
        fetched = [.. fetched.OrderBy(f => f.Row.UpdatedAt).ThenBy(f => f.Row.PlatformId, StringComparer.Ordinal)];
        var grace = options.Value.PastDueGraceDays;
        return TypedResults.Ok(pager.ToPage(fetched, page, f => CursorPosition.Of(f.Row.UpdatedAt, f.Row.PlatformId),
            f => SubscriptionView.From(f.Row, f.StripeCustomerId, grace), total));
    }

    /// <summary>B14 when the platform already has a subscription: 200 for the same tier, else 409 (lock first).</summary>
    private static SubscriptionView Existing(SubscriptionRecord existing, string tier, CustomerRecord customer, BillingOptions config, long now)
    {
        if (existing.LockUntil is { } until && until > now)
        {
            throw InProgress();
        }

        return existing.Tier == tier
            ? SubscriptionView.From(existing, customer.StripeCustomerId, config.PastDueGraceDays)
            : throw new ApiException(ErrorCodes.Conflict, $"The platform already has a {existing.Tier} subscription.", new { reason = "subscription_exists" });
    }

    private static ApiException InProgress()
    {
        var error = new ApiException(ErrorCodes.Conflict, "Another billing operation on the platform is in progress.", new { reason = "operation_in_progress" });
        error.Headers["Retry-After"] = InProgressRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return error;
    }
}
