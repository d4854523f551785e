// Vite builds the UI into dist/, which the dealgraph server serves (index.html for the UI
// routes, /assets/* as files). While developing, `npx vite` and `npx vite preview` forward the
// API, the endpoint, the example queries and Linked Data to a running dealgraph server on
// loopback: DEALGRAPH_URL, default http://127.0.0.1:7878.
import { defineConfig, type ProxyOptions } from "vite";

const target = process.env.DEALGRAPH_URL ?? "http://127.0.0.1:7878";
if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(target)) {
  throw new Error(`DEALGRAPH_URL must be a loopback http:// URL, got ${target}`);
}

// Keys starting with ^ are regular expressions: /id/ must not catch /identity, /api/ not /apis.
const proxied = ["^/api/", "^/sparql", "^/queries", "^/id/", "^/ontology", "^/certainty/", "^/status/", "^/\\.well-known/"];
const proxy: Record<string, ProxyOptions> = Object.fromEntries(proxied.map((p) => [p, { target }]));

export default defineConfig({
  base: "/",
  server: { host: "127.0.0.1", proxy },
  preview: { host: "127.0.0.1", proxy },
  build: {
    target: "es2022",
    // The workbench chunk (CodeMirror, DataTables) is large and loaded only on /workbench.
    chunkSizeWarningLimit: 1200,
  },
});
