// NNO platform auth Worker 1.0.0. One copy serves every platform: per-platform values arrive only as bindings
// (DB, PLATFORM_ID, ENVIRONMENT, AUTH_BASE_URL, DEFAULT_ENTITY_ID, PLAN_TIER) and the secret BETTER_AUTH_SECRET.
const VERSION = "1.0.0";

function json(body, status = 200) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

async function platformConfig(env) {
  const row = await env.DB.prepare(
    "SELECT platform_id, plan_tier, default_entity_id, environment FROM nno_platform_config WHERE id = 1",
  ).first();
  return row ?? null;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/health") {
      return json({
        status: "ok",
        featureId: "auth",
        version: VERSION,
        platformId: env.PLATFORM_ID ?? null,
        environment: env.ENVIRONMENT ?? null,
        // Names only: the secret's value never leaves the Worker.
        bindings: Object.keys(env).sort(),
        secretConfigured: typeof env.BETTER_AUTH_SECRET === "string" && env.BETTER_AUTH_SECRET.length > 0,
      });
    }
    if (request.method === "GET" && url.pathname === "/api/auth/platform") {
      const config = await platformConfig(env);
      if (config === null) {
        return json({ error: { code: "NOT_FOUND", message: "Platform configuration missing", details: { resource: "platform" } } }, 404);
      }
      return json({
        platformId: config.platform_id,
        planTier: config.plan_tier,
        defaultEntityId: config.default_entity_id,
        environment: config.environment,
        authBaseUrl: env.AUTH_BASE_URL ?? null,
      });
    }
    return json({ error: { code: "NOT_FOUND", message: `No route ${request.method} ${url.pathname}`, details: null } }, 404);
  },
};
