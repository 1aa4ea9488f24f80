// Starts the real server binary (`serve --ephemeral`) and reads the one JSON line it prints.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/**
 * The workspace's debug build, or `CONTACT_CHANNELS_BIN`, on a free port of 127.0.0.1.
 * Resolves to `{ url, project_id, publishable_client_key, secret_server_key, ..., stop() }`.
 */
export async function startServer() {
  const bin =
    process.env.CONTACT_CHANNELS_BIN ??
    fileURLToPath(new URL("../target/debug/contact-channels", import.meta.url));
  if (!existsSync(bin)) {
    throw new Error(
      `no server binary at ${bin}: run \`cargo build -p contact-channels-server\`` +
        " (or set CONTACT_CHANNELS_BIN)",
    );
  }
  const child = spawn(bin, ["serve", "--ephemeral", "--bind", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("error", reject);
    void exited.then(([code, signal]) =>
      reject(new Error(`the server exited (${signal ?? code}) before printing its address`)),
    );
  });
  return {
    ...JSON.parse(line),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
