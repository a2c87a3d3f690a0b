// team 1.1.0: the feature's Worker. Per-platform values arrive only as bindings (env), never in this text.
const FEATURE_ID = "team";
const VERSION = "1.1.0";

function json(body, status = 200) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/health") {
      return json({
        status: "ok",
        featureId: env.FEATURE_ID ?? FEATURE_ID,
        version: env.FEATURE_VERSION ?? VERSION,
        platformId: env.PLATFORM_ID ?? null,
        stackId: env.STACK_ID ?? null,
        environment: env.ENVIRONMENT ?? null,
        // Names only: secret values never leave the Worker.
        bindings: Object.keys(env).sort(),
      });
    }
    return json({ error: { code: "NOT_FOUND", message: `No route ${request.method} ${url.pathname}`, details: null } }, 404);
  },
};
