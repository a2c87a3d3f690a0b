// NNO platform auth Worker 1.1.0: 1.0.0 plus /health reporting the auth database (reachable, newest applied auth
// migration). It needs no new migration (it only reads _nno_migrations), so 1.0.0 and 1.1.0 run on the same database
// and a redeploy's rollback can put 1.0.0 back. One copy serves every platform: per-platform values arrive only as bindings
// (DB, PLATFORM_ID, ENVIRONMENT, AUTH_BASE_URL, DEFAULT_ENTITY_ID, PLAN_TIER) and the secret BETTER_AUTH_SECRET.
const VERSION = "1.1.0";

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

// The auth database as /health sees it: reachable or not, and the newest auth migration applied (provisioning.md §4.6).
async function databaseHealth(env) {
  try {
    const row = await env.DB.prepare(
      "SELECT name FROM _nno_migrations WHERE name NOT LIKE '%/%' ORDER BY name DESC LIMIT 1",
    ).first();
    return { reachable: true, schema: row?.name ?? null };
  } catch (error) {
    return { reachable: false, schema: null, error: String(error?.message ?? error) };
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/health") {
      const database = await databaseHealth(env);
      return json({
        status: database.reachable ? "ok" : "degraded",
        featureId: "auth",
        version: VERSION,
        platformId: env.PLATFORM_ID ?? null,
        environment: env.ENVIRONMENT ?? null,
        // Names only: the secret's value never leaves the Worker.
        bindings: Object.keys(env).sort(),
        secretConfigured: typeof env.BETTER_AUTH_SECRET === "string" && env.BETTER_AUTH_SECRET.length > 0,
        database,
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
