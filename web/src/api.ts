// Calls to the dealgraph server on the same origin. Every error the server sends has one shape,
// {"error":{"status","code","message"}}; `ApiError` carries it, and a failure to reach the server
// at all becomes an ApiError with status 0.

import type {
  ConflictsView,
  EntityView,
  ExampleQuery,
  GraphView,
  PathsView,
  SearchResult,
  StatsView,
  TimelineView,
} from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Params = Record<string, string | number | undefined | null | string[]>;

/** A query string from the parameters that have a value; lists are joined with commas. */
export function query(params: Params): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      if (value.length) search.set(key, value.join(","));
    } else {
      search.set(key, String(value));
    }
  }
  // Commas separate list items (relations=Investment,ComputeAgreement): kept readable.
  const text = search.toString().replace(/%2C/gi, ",");
  return text ? `?${text}` : "";
}

/** Reads an error body of the server's shape, or makes one from the status line. */
export async function errorFrom(response: Response): Promise<ApiError> {
  let text = "";
  try {
    text = await response.text();
    const body = JSON.parse(text);
    if (body && body.error) {
      return new ApiError(body.error.status ?? response.status, body.error.code ?? "error", body.error.message ?? text);
    }
  } catch {
    // not JSON: fall through to the status line
  }
  return new ApiError(response.status, "http_error", text.trim() || `${response.status} ${response.statusText}`);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" }, signal });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "unreachable", `The dealgraph server did not answer (${(e as Error).message}).`);
  }
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as T;
}

export const api = {
  search: (q: string, limit = 8, signal?: AbortSignal) =>
    getJson<SearchResult>(`/api/search${query({ q, limit })}`, signal),
  entity: (id: string, params: { as_of?: string; limit?: number } = {}, signal?: AbortSignal) =>
    getJson<EntityView>(`/api/entity/${encodeURIComponent(id)}${query(params)}`, signal),
  graph: (params: Params, signal?: AbortSignal) => getJson<GraphView>(`/api/graph${query(params)}`, signal),
  paths: (params: Params, signal?: AbortSignal) => getJson<PathsView>(`/api/paths${query(params)}`, signal),
  timeline: (entity: string, until?: string, signal?: AbortSignal) =>
    getJson<TimelineView>(`/api/timeline${query({ entity, until })}`, signal),
  conflicts: (entity: string, signal?: AbortSignal) =>
    getJson<ConflictsView>(`/api/conflicts${query({ entity })}`, signal),
  stats: (signal?: AbortSignal) => getJson<StatsView>("/api/stats", signal),
  queries: (signal?: AbortSignal) => getJson<{ queries: ExampleQuery[] }>("/queries", signal),
};

/** Fetches a URL with an Accept header and saves the answer as a file: a link cannot set Accept. */
export async function download(url: string, accept: string, filename: string): Promise<void> {
  const response = await fetch(url, { headers: { Accept: accept } });
  if (!response.ok) throw await errorFrom(response);
  saveBlob(await response.blob(), filename);
}

export function saveBlob(blob: Blob, filename: string): void {
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
