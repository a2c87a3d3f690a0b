using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nno.Sandbox.Stripe.Customers;
using Stripe;

namespace Nno.Sandbox.Tests.StripeEmulation;

/// <summary>The sandbox billing portal page a portal session's <c>url</c> points at, driven with plain HTTP.</summary>
public sealed class StripePortalPageTests
{
    [Fact]
    public async Task PortalPage_ShowsTheCustomer_AndItsFormsSetThePaymentBehaviour_ThenRedirectToReturnUrl()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var client = sandbox.StripeClient();
        var customer = await new CustomerService(client).CreateAsync(new CustomerCreateOptions { Email = "ann@example.com", Name = "<b>Ann</b>" });
        var session = await new global::Stripe.BillingPortal.SessionService(client).CreateAsync(new global::Stripe.BillingPortal.SessionCreateOptions
        {
            Customer = customer.Id,
            ReturnUrl = "https://console.example/billing?x=1",
        });
        var pageUrl = new Uri(session.Url);
        Assert.Equal($"/stripe/_sandbox/portal/{session.Id}", pageUrl.AbsolutePath);

        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var page = await browser.GetAsync(pageUrl);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains(customer.Id, html, StringComparison.Ordinal);
        Assert.Contains("ann@example.com", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;Ann&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>Ann</b>", html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"behavior\">pays</dd>", html, StringComparison.Ordinal);
        var action = $"/stripe/_sandbox/portal/{session.Id}/payment-behavior";
        Assert.Equal(2, html.Split($"<form method=\"post\" action=\"{action}\">").Length - 1);
        Assert.Contains("value=\"decline\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"succeed\"", html, StringComparison.Ordinal);

        var behaviors = sandbox.App.Services.GetRequiredService<StripePaymentBehaviors>();
        var declined = await browser.PostAsync(new Uri(pageUrl, action), new FormUrlEncodedContent([new("behavior", "decline")]));
        Assert.Equal(HttpStatusCode.SeeOther, declined.StatusCode);
        Assert.Equal("https://console.example/billing?x=1", declined.Headers.Location!.ToString());
        Assert.True(await behaviors.DeclinesAsync(customer.Id));
        Assert.Contains("<dd id=\"behavior\">declines</dd>", await browser.GetStringAsync(pageUrl), StringComparison.Ordinal);

        var paid = await browser.PostAsync(new Uri(pageUrl, action), new FormUrlEncodedContent([new("behavior", "succeed")]));
        Assert.Equal(HttpStatusCode.SeeOther, paid.StatusCode);
        Assert.False(await behaviors.DeclinesAsync(customer.Id));
    }

    [Fact]
    public async Task PortalPage_UnknownSession404_BadBehaviour400_WithoutReturnUrlBackToThePage()
    {
        await using var sandbox = await StripeSandbox.StartAsync();
        var client = sandbox.StripeClient();
        var customer = await new CustomerService(client).CreateAsync(new CustomerCreateOptions { Email = "ann@example.com" });
        var session = await new global::Stripe.BillingPortal.SessionService(client).CreateAsync(new global::Stripe.BillingPortal.SessionCreateOptions { Customer = customer.Id });
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = sandbox.Address };

        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/stripe/_sandbox/portal/bps_missing")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.PostAsync("/stripe/_sandbox/portal/bps_missing/payment-behavior",
            new FormUrlEncodedContent([new("behavior", "decline")]))).StatusCode);

        var action = $"/stripe/_sandbox/portal/{session.Id}/payment-behavior";
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync(action, new FormUrlEncodedContent([new("behavior", "explode")]))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync(action, new StringContent("decline"))).StatusCode);
        var behaviors = sandbox.App.Services.GetRequiredService<StripePaymentBehaviors>();
        Assert.False(await behaviors.DeclinesAsync(customer.Id));

        var declined = await browser.PostAsync(action, new FormUrlEncodedContent([new("behavior", "decline")]));
        Assert.Equal(HttpStatusCode.SeeOther, declined.StatusCode);
        Assert.Equal($"/stripe/_sandbox/portal/{session.Id}", declined.Headers.Location!.ToString());
        Assert.True(await behaviors.DeclinesAsync(customer.Id));
    }
}
