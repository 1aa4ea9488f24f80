// The two header dialects of Stack Auth's SDK, each from the release that speaks it:
// 2.8.102 sends `x-stack-*` headers, 2.8.108 (renamed Hexclave) sends `x-hexclave-*` and reads
// either family of response headers (dist/interface/client-interface.js, sendClientRequestInner
// and _processResponse).
import { readFile } from "node:fs/promises";

export const DIALECTS = [
  { prefix: "x-stack", pkg: "stack-shared-x-stack", version: "2.8.102", classes: "Stack" },
  { prefix: "x-hexclave", pkg: "stack-shared-x-hexclave", version: "2.8.108", classes: "Hexclave" },
];

/** The package's interfaces and session classes, as its own code uses them. */
export async function load(dialect) {
  const manifest = JSON.parse(
    await readFile(new URL(`./node_modules/${dialect.pkg}/package.json`, import.meta.url)),
  );
  if (manifest.version !== dialect.version) {
    throw new Error(`${dialect.pkg} is ${manifest.version}, expected ${dialect.version}`);
  }
  // The package root first: its interface modules import each other in a cycle that only
  // resolves in this order.
  const root = await import(dialect.pkg);
  const sessions = await import(`${dialect.pkg}/dist/sessions`);
  const ServerInterface = root[`${dialect.classes}ServerInterface`];
  const ClientInterface = root[`${dialect.classes}ClientInterface`];
  for (const [name, value] of Object.entries({ ServerInterface, ClientInterface })) {
    if (typeof value !== "function") throw new Error(`${dialect.pkg} exports no ${name}`);
  }
  return {
    ServerInterface,
    ClientInterface,
    KnownErrors: root.KnownErrors,
    KnownError: root.KnownError,
    InternalSession: sessions.InternalSession,
    RefreshToken: sessions.RefreshToken,
  };
}
