/**
 * The extension itself, activated with a stand-in `vscode` module and the real server: what it
 * starts, what the user sees, and how a settings change reaches the server.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { VENV } from "./environment";
import { FakeVscode } from "./fake-vscode";

const workdir = mkdtempSync(join(tmpdir(), "atlas-activate-"));
const vscode = new FakeVscode(
  {
    "atlas.serverPath": join(VENV, "bin/atlas-lsp"),
    "atlas.pythonPath": null,
    "atlas.model": "small",
    "atlas.candidates": 2,
    "atlas.maxTokens": 512,
    "atlas.testSeconds": 4,
  },
  workdir,
);
vscode.install();

type Extension = typeof import("../src/extension");
let extension: Extension;

async function until(what: string, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    assert.ok(Date.now() < deadline, `no ${what} within ${timeoutMs / 1000} s; output:\n${vscode.output.join("").slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  extension = await import("../src/extension");
  await extension.activate({ subscriptions: [] } as any);
});

after(async () => {
  await extension.deactivate();
  rmSync(workdir, { recursive: true, force: true });
});

test("activation starts the server; the client, not package.json, registers the server's commands", async () => {
  await until("running status", () => vscode.statusTexts.at(-1) === "$(sparkle) ATLAS: small");
  for (const command of ["atlas.solve", "atlas.verify", "atlas.repair"]) {
    assert.ok(vscode.commands.has(command), command);
  }
  assert.deepEqual(vscode.messages, []);
});

test("a model change reaches the server without the client-only settings", async () => {
  vscode.change({ "atlas.model": "default" });
  // The server logs the settings it now uses; its keys are camelCase in the editor, snake_case inside.
  const applied = /model='default', budget='normal', candidates=2, max_tokens=512, test_seconds=4\.0/;
  await until("new settings on the server", () => applied.test(vscode.output.join("")));
  assert.equal(vscode.statusTexts.at(-1), "$(sparkle) ATLAS: default");
  assert.deepEqual(vscode.messages, [], "the server warned about a setting");
});

test("a serverPath that is not there restarts into a message with the fix", async () => {
  vscode.change({ "atlas.serverPath": join(workdir, "missing/atlas-lsp") });
  await until("message", () => vscode.messages.length > 0);
  assert.match(vscode.messages[0], /missing\/atlas-lsp` cannot start .*Fix: set `atlas\.serverPath`/);
  assert.equal(vscode.statusTexts.at(-1), "$(error) ATLAS: default");
});
