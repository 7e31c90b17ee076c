// Apollo Client 4 with its persisted-queries link against the router at argv[2].
// Two fresh clients run the same query ("post" or "get" for hashed queries);
// prints every request the clients sent and every result, as JSON.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { createHash } from "node:crypto";

const [url, mode] = process.argv.slice(2);
const sent = [];

async function recordingFetch(input, init) {
  const target = new URL(String(input));
  sent.push({
    method: init?.method ?? "GET",
    query: Object.fromEntries(target.searchParams),
    body: init?.body ? JSON.parse(init.body) : null,
  });
  return fetch(input, init);
}

function newClient() {
  const persisted = new PersistedQueryLink({
    sha256: (text) => createHash("sha256").update(text).digest("hex"),
    useGETForHashedQueries: mode === "get",
  });
  const http = new HttpLink({
    uri: url,
    fetch: recordingFetch,
    headers: { "apollo-require-preflight": "true" },
  });
  return new ApolloClient({ cache: new InMemoryCache(), link: persisted.concat(http) });
}

const ME = gql`
  query Me {
    me {
      name
    }
  }
`;
const results = [];
for (let i = 0; i < 2; i++) {
  const { data, error } = await newClient().query({ query: ME, fetchPolicy: "no-cache" });
  results.push({ data: data ?? null, error: error ? String(error) : null });
}
console.log(JSON.stringify({ results, sent }));
