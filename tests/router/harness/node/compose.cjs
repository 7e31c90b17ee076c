// Composes supergraphs with @theguild/federation-composition for the Python test harness.
// argv[2]: a directory whose node_modules holds the package. Protocol: one JSON array of
// {name, url, sdl} per stdin line; one JSON line back, {supergraph} or {errors}.
'use strict';
const path = require('node:path');
const readline = require('node:readline');
const { createRequire } = require('node:module');

const load = createRequire(path.join(path.resolve(process.argv[2]), 'index.js'));
const { composeServices } = load('@theguild/federation-composition');
const { parse } = load('graphql');

function compose(line) {
  const services = JSON.parse(line).map((s) => ({
    name: s.name,
    url: s.url,
    typeDefs: parse(s.sdl),
  }));
  const result = composeServices(services);
  if (result.errors && result.errors.length > 0) {
    return {
      errors: result.errors.map((e) => ({
        message: e.message,
        code: (e.extensions && e.extensions.code) || null,
      })),
    };
  }
  return { supergraph: result.supergraphSdl };
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let reply;
  try {
    reply = compose(line);
  } catch (error) {
    reply = { errors: [{ message: String((error && error.stack) || error), code: 'HARNESS' }] };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
