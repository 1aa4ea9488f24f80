import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The line `contact-channels serve --ephemeral` prints: its URL and the project's keys. */
export interface ServerInfo {
  url: string;
  project_id: string;
  publishable_client_key: string;
  secret_server_key: string;
  super_secret_admin_key: string;
  outbox: string;
}

/** A running server on an in-memory database. */
export interface Server extends ServerInfo {
  /** Stops it with SIGTERM and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts the workspace's debug build (or `CONTACT_CHANNELS_BIN`) on a free port. */
export async function startServer(): Promise<Server> {
  const bin =
    process.env.CONTACT_CHANNELS_BIN ??
    fileURLToPath(new URL("../../target/debug/contact-channels", import.meta.url));
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
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("error", reject);
    void exited.then(([code, signal]) =>
      reject(new Error(`the server exited (${signal ?? code}) before printing its address`)),
    );
  });
  const info = JSON.parse(line) as ServerInfo;
  return {
    ...info,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
