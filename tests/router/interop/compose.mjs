// Composes every case read from stdin with The Guild's federation-composition.
// stdin:  [{"name": str, "subgraphs": [{"name": str, "url": str, "sdl": str}]}]
// stdout: [{"name": str, "supergraph": str | null, "errors": [{"code": str, "message": str}]}]
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';

function composeCase(entry) {
  try {
    const services = entry.subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
    const result = composeServices(services);
    if (result.errors && result.errors.length) {
      return {
        name: entry.name,
        supergraph: null,
        errors: result.errors.map((e) => ({ code: e.extensions?.code ?? 'UNKNOWN', message: e.message })),
      };
    }
    return { name: entry.name, supergraph: result.supergraphSdl, errors: [] };
  } catch (error) {
    // A subgraph that does not even parse is a failed composition, like ours.
    return { name: entry.name, supergraph: null, errors: [{ code: 'THROWN', message: String(error) }] };
  }
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));
process.stdout.write(JSON.stringify(cases.map(composeCase)));
