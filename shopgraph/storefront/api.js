// The storefront's GraphQL client: a small fetch wrapper for queries and mutations,
// graphql-ws for the subscription, both on the router's /graphql.
//
// Why a fetch wrapper and not urql or Apollo: every operation is a trusted document
// sent by id (`documentId`), results are not shared between pages, and the app
// re-fetches on navigation. A normalized cache would be unused weight; the wrapper
// is ~100 lines and needs no build step.
//
// Tokens: the access token lives only in this module's memory. The refresh token is
// kept in sessionStorage (one tab, gone when it closes) so a reload or a deep link
// stays signed in. Risk, stated: script injected into this origin could read it;
// the strict CSP (no inline or foreign scripts) and DOM-only rendering are what
// stand against that. The router has no endpoint yet to set it as an httpOnly
// cookie, which is the better place once it does.
import { createClient } from "/storefront/vendor/graphql-ws/client.mjs";

const REFRESH_KEY = "shopgraph.refreshToken";
const SESSION_KEY = "shopgraph.session";

let accessToken = null;
let user = null;
let refreshTimer = null;
const listeners = new Set();
const operations = fetch("/storefront/operations.json").then((r) => r.json());

export class GraphQLFailure extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; "));
    this.errors = errors;
  }
}

/** The anonymous session id insights groups events by (x-shopgraph-session). */
function sessionId() {
  let id = sessionStorage.getItem(SESSION_KEY);
  if (!id) {
    id = crypto.randomUUID();
    sessionStorage.setItem(SESSION_KEY, id);
  }
  return id;
}

async function post(name, variables) {
  const ops = await operations;
  if (!ops[name]) throw new Error(`${name} is not a storefront trusted document`);
  const headers = { "content-type": "application/json", "x-shopgraph-session": sessionId() };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  const response = await fetch("/graphql", {
    method: "POST",
    headers,
    body: JSON.stringify({ documentId: ops[name].id, operationName: name, variables }),
  });
  return { status: response.status, body: await response.json() };
}

function unauthenticated({ status, body }) {
  return status === 401 || (body.errors || []).some((e) => e.extensions?.code === "UNAUTHENTICATED");
}

/** Runs the trusted document `name`; one silent refresh and retry if the access token was refused. */
export async function run(name, variables = {}) {
  // While the token is being renewed (it is cleared meanwhile), a request waits for the
  // new one rather than going without; the renewal's own request does not wait for itself.
  if (refreshing && name !== "RefreshToken") await refreshing;
  // Whether a token went with the request: a renewal that started since then (the
  // timer's) is joined by refresh() below instead of the refusal being final.
  const sentToken = Boolean(accessToken);
  let result = await post(name, variables);
  if (sentToken && unauthenticated(result) && (await refresh())) {
    result = await post(name, variables);
  }
  if (result.body.errors?.length && !result.body.data) throw new GraphQLFailure(result.body.errors);
  if (result.body.errors?.length) throw new GraphQLFailure(result.body.errors);
  return result.body.data;
}

/** Fires a storefront event; a failure only loses an analytics event, never the page. */
export function track(type, extra = {}) {
  run("TrackEvent", { input: { type, ...extra } }).catch(() => {});
}

export function currentUser() {
  return user;
}

/** Staff see the staff pages; the API refuses anyone else anyway. */
export function isStaff() {
  return user?.role === "STAFF";
}

export function onAuthChange(listener) {
  listeners.add(listener);
}

/** Takes an AuthPayload (register, login, refreshToken) into the session. */
export function signedIn(payload) {
  accessToken = payload.accessToken;
  sessionStorage.setItem(REFRESH_KEY, payload.refreshToken);
  scheduleRefresh();
  if (user?.id !== payload.user?.id) resetLive();
  user = payload.user;
  listeners.forEach((l) => l(user));
}

export async function signOut() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (refreshToken) await run("Logout", { refreshToken }).catch(() => {});
  sessionStorage.removeItem(REFRESH_KEY);
  accessToken = null;
  user = null;
  clearTimeout(refreshTimer);
  resetLive();
  listeners.forEach((l) => l(null));
}

let refreshing = null;
/** Trades the refresh token for a new pair; false (and signed out) if it was refused. */
export function refresh() {
  refreshing ??= (async () => {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    if (!refreshToken) return false;
    accessToken = null;
    try {
      const data = await run("RefreshToken", { refreshToken });
      if (data.refreshToken.accessToken) {
        signedIn(data.refreshToken);
        return true;
      }
    } catch {
      // refused or unreachable: fall through to signed out
    }
    sessionStorage.removeItem(REFRESH_KEY);
    user = null;
    listeners.forEach((l) => l(null));
    return false;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** Refreshes a minute before the access token expires (its `exp`), so requests rarely see a 401. */
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  try {
    const claims = JSON.parse(atob(accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const delay = Math.max(5_000, claims.exp * 1000 - Date.now() - 60_000);
    refreshTimer = setTimeout(refresh, delay);
  } catch {
    // an opaque token: the 401 path refreshes instead
  }
}

let wsClient = null;
/** A new user means a new socket: the router authenticates a socket once, at connection_init. */
function resetLive() {
  wsClient?.dispose();
  wsClient = null;
}

/** Subscribes to `name` over graphql-ws on /graphql; returns the unsubscribe function. */
export async function subscribe(name, variables, onData, onError) {
  const ops = await operations;
  wsClient ??= createClient({
    url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`,
    connectionParams: () => (accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    lazy: true,
    // connectionParams runs again on each reconnect, with the then current token
    // (the router closes a socket whose token expired with 4403).
    retryAttempts: 5,
    shouldRetry: () => true,
  });
  // The router runs the trusted document named by `documentId` (in enforce mode,
  // nothing else); graphql-ws insists on a `query` too: the document's own text.
  return wsClient.subscribe(
    { documentId: ops[name].id, query: ops[name].query, operationName: name, variables },
    {
      next: (result) => (result.errors ? onError(new GraphQLFailure(result.errors)) : onData(result.data)),
      error: (error) => onError(error instanceof Error ? error : new Error("the live connection closed")),
      complete: () => {},
    },
  );
}
