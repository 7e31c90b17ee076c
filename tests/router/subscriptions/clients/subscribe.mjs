// Runs one subscription with a real client library and prints each result as a JSON line.
// Usage: node subscribe.mjs graphql-ws|graphql-ws-retrying|graphql-sse|apollo URL TOKEN QUERY
//        VARIABLES_JSON UNTIL
// It stops after a result whose orderStatusChanged.status is UNTIL, on an error result,
// or when the server completes; a transport failure is printed as {"failure": "..."}.
// graphql-ws-retrying reconnects (and subscribes again) when the socket closes, as
// graphql-ws does by default, printing {"closed": CODE} each time.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";

const [transport, url, token, query, variablesJson, until] = process.argv.slice(2);
const variables = JSON.parse(variablesJson);
const authorization = `Bearer ${token}`;

function print(result) {
  // Apollo Client adds __typename to every selection; the other clients do not.
  const text = JSON.stringify(result, (key, value) => (key === "__typename" ? undefined : value));
  process.stdout.write(text + "\n");
  const status = result.data?.orderStatusChanged?.status;
  return result.errors !== undefined || status === until;
}

async function iterate(results) {
  for await (const result of results) {
    if (print({ data: result.data ?? null, ...(result.errors ? { errors: result.errors } : {}) })) {
      return;
    }
  }
}

async function viaGraphqlWs(retrying = false) {
  const client = createWsClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization },
    retryAttempts: retrying ? 5 : 0,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 100)),
    on: retrying ? { closed: (event) => print({ closed: event.code }) } : {},
  });
  try {
    await iterate(client.iterate({ query, variables }));
  } finally {
    await client.dispose();
  }
}

async function viaGraphqlSse() {
  // Distinct connections: one POST with Accept: text/event-stream per operation.
  const client = createSseClient({ url, headers: { authorization }, singleConnection: false, retryAttempts: 0 });
  try {
    await iterate(client.iterate({ query, variables }));
  } finally {
    client.dispose();
  }
}

async function viaApollo() {
  // HttpLink speaks multipart subscriptions (multipart/mixed; subscriptionSpec="1.0").
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, headers: { authorization } }),
    cache: new InMemoryCache(),
  });
  await new Promise((resolve, reject) => {
    const subscription = client.subscribe({ query: gql(query), variables }).subscribe({
      next(result) {
        const errors = result.error?.errors?.map(({ message, path, extensions }) => ({ message, path, extensions }));
        const printed = { data: result.data ?? null, ...(result.error ? { errors: errors ?? [{ message: result.error.message }] } : {}) };
        if (print(printed)) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
      complete: resolve,
    });
  });
  client.stop();
}

const clients = {
  "graphql-ws": () => viaGraphqlWs(false),
  "graphql-ws-retrying": () => viaGraphqlWs(true),
  "graphql-sse": viaGraphqlSse,
  apollo: viaApollo,
};
try {
  await clients[transport]();
} catch (error) {
  process.stdout.write(JSON.stringify({ failure: String(error?.message ?? error) }) + "\n");
}
process.exit(0);
