using Nno.Sandbox.Stripe.Common;

namespace Nno.Sandbox.Stripe.Customers;

/// <summary>
/// Whether a customer's default test card pays (billing.md §5.1): <c>succeed</c> unless admin
/// <c>PUT /customers/{id}/payment-behavior</c> set <c>decline</c>; the <c>declineAll</c> knob overrides every customer.
/// The billing engine asks it before each charge.
/// </summary>
public sealed class StripePaymentBehaviors(StripeStore store, Pipeline.StripeFaults faults)
{
    public const string Succeed = "succeed";
    public const string Decline = "decline";

    /// <summary>The behaviour set for <paramref name="customerId"/> (<see cref="Succeed"/> when none was set).</summary>
    public async Task<string> GetAsync(string customerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await store.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT behavior FROM customer_payment_behavior WHERE customer_id = $id";
        command.Parameters.AddWithValue("$id", customerId);
        return await command.ExecuteScalarAsync(cancellationToken) as string ?? Succeed;
    }

    /// <summary>Whether a charge of <paramref name="customerId"/> declines now (its behaviour, or <c>declineAll</c>).</summary>
    public async Task<bool> DeclinesAsync(string customerId, CancellationToken cancellationToken = default) =>
        faults.Current.DeclineAll || await GetAsync(customerId, cancellationToken) == Decline;

    /// <summary>Sets the behaviour; false when the customer does not exist.</summary>
    public Task<bool> SetAsync(string customerId, string behavior, CancellationToken cancellationToken = default)
    {
        if (behavior is not (Succeed or Decline))
        {
            throw new ArgumentOutOfRangeException(nameof(behavior), behavior, "succeed or decline");
        }

        return store.WriteAsync(async (connection, transaction) =>
        {
            if (await StripeStore.GetObjectAsync(connection, transaction, customerId, CustomersApi.Kind, cancellationToken) is null)
            {
                return false;
            }

            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO customer_payment_behavior (customer_id, behavior) VALUES ($id, $behavior)
                ON CONFLICT (customer_id) DO UPDATE SET behavior = excluded.behavior
                """;
            command.Parameters.AddWithValue("$id", customerId);
            command.Parameters.AddWithValue("$behavior", behavior);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }, cancellationToken);
    }
}
