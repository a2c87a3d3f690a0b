using System.Text.Json;
using Nno.Core.Environments;
using Nno.Provisioning.Bundles;
using Nno.Provisioning.Cloudflare;
using Nno.Provisioning.Cloudflare.Workers;

namespace Nno.Provisioning.Tests.Bundles;

public sealed class WorkerUploadBuilderTests
{
    [Fact]
    public void AuthUpload_BindsEveryPerPlatformValue_AndKeepsSecrets()
    {
        var bundle = BundleCatalogue.Embedded.AuthWorker;

        var upload = WorkerUploadBuilder.Auth(bundle, new AuthWorkerValues("k3m9p2xw7q", PlatformEnvironment.Stg, "6a1c0d5e-0000-4000-8000-000000000001",
            "https://auth.svc.stg.default.k3m9p2xw7q.nno.run", "e1e1e1e1e1", "growth"));

        var json = JsonSerializer.Serialize(upload.Metadata, CloudflareClient.Json);
        Assert.Equal(
            """{"main_module":"index.js","compatibility_date":"2025-01-01","bindings":[{"type":"d1","name":"DB","id":"6a1c0d5e-0000-4000-8000-000000000001"},{"type":"plain_text","name":"PLATFORM_ID","text":"k3m9p2xw7q"},{"type":"plain_text","name":"ENVIRONMENT","text":"stg"},{"type":"plain_text","name":"AUTH_BASE_URL","text":"https://auth.svc.stg.default.k3m9p2xw7q.nno.run"},{"type":"plain_text","name":"DEFAULT_ENTITY_ID","text":"e1e1e1e1e1"},{"type":"plain_text","name":"PLAN_TIER","text":"growth"}],"tags":["nno","platform-k3m9p2xw7q","env-stg"],"keep_bindings":["secret_text"]}""",
            json);
        var module = Assert.Single(upload.Modules);
        Assert.Equal("index.js", module.Name);
        Assert.True(module.Content.Span.SequenceEqual(bundle.Script.Span), "the script goes out byte for byte");
    }

    [Fact]
    public void FeatureUpload_BindsTheEnabledSharedResourcesAndFeatureValues()
    {
        var bundle = BundleCatalogue.Embedded.GetFeature("analytics", "1.0.0");

        var upload = WorkerUploadBuilder.Feature(bundle, new FeatureWorkerValues("k3m9p2xw7q", "s7h2k9w4x1", PlatformEnvironment.Prod,
            "https://auth.svc.default.k3m9p2xw7q.nno.run", new StackBindings("d1id", "k3m9p2xw7q-s7h2k9w4x1-storage", "kvid", null)));

        var bindings = upload.Metadata.Bindings.ToDictionary(b => b.Name);
        Assert.Equal(["DB", "STORAGE", "KV", "FEATURE_ID", "FEATURE_VERSION", "PLATFORM_ID", "STACK_ID", "ENVIRONMENT", "TABLE_PREFIX", "KEY_PREFIX", "AUTH_URL"], upload.Metadata.Bindings.Select(b => b.Name));
        Assert.Equal("d1", bindings["DB"].Type);
        Assert.Equal("k3m9p2xw7q-s7h2k9w4x1-storage", bindings["STORAGE"].BucketName);
        Assert.Equal("kvid", bindings["KV"].NamespaceId);
        Assert.Equal("analytics", bindings["FEATURE_ID"].Text);
        Assert.Equal("analytics_", bindings["TABLE_PREFIX"].Text);
        Assert.Equal("analytics:", bindings["KEY_PREFIX"].Text);
        Assert.Equal("prod", bindings["ENVIRONMENT"].Text);
        Assert.Equal(["secret_text"], upload.Metadata.KeepBindings);
        Assert.Equal(["nno", "platform-k3m9p2xw7q", "env-prod"], upload.Metadata.Tags);
        Assert.True(upload.Modules[0].Content.Span.SequenceEqual(bundle.WorkerScript!.Value.Span));
    }

    [Fact]
    public void FeatureUpload_WithoutAResourceTheManifestNeeds_IsRefused()
    {
        var bundle = BundleCatalogue.Embedded.GetFeature("notifications", "1.0.0");

        Assert.Throws<ArgumentException>(() => WorkerUploadBuilder.Feature(bundle, new FeatureWorkerValues("k3m9p2xw7q", "default", PlatformEnvironment.Prod,
            "https://auth.svc.default.k3m9p2xw7q.nno.run", new StackBindings("d1id", null, null, null))));
    }

    [Fact]
    public void AFeatureWithoutAWorker_CannotBeUploaded()
    {
        var bundle = BundleCatalogue.Embedded.GetFeature("settings", "1.0.0");

        Assert.Throws<ArgumentException>(() => WorkerUploadBuilder.Feature(bundle, new FeatureWorkerValues("k3m9p2xw7q", "default", PlatformEnvironment.Prod,
            "https://auth.svc.default.k3m9p2xw7q.nno.run", new StackBindings("d1id", null, "kv", null))));
    }
}
