/**
 * A running job in the status bar, and its cancellation: the extension activated with a stand-in
 * `vscode` module, the real language client and the real server. The model is a server that answers
 * what opening a model asks but never finishes a completion, so a job runs until it is cancelled.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Server, createServer } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { VENV } from "./environment";
import { FakeVscode } from "./fake-vscode";

const STUB = 'def add(a, b):\n    """Return the sum of a and b."""\n    ...\n';
const CANCEL_JOB = "atlas.client.cancelJob";

/** An OpenAI-compatible server with a model list and embeddings, whose completions never come. */
function stalledModelServer(): Server {
  return createServer((request, response) => {
    request.resume();
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    };
    if (request.method === "GET" && request.url === "/v1/models") {
      reply(200, { object: "list", data: [{ id: "stalled-model", object: "model" }] });
    } else if (request.method === "POST" && request.url === "/v1/embeddings") {
      reply(200, { data: [{ embedding: [0.5, 0.5, 0.5, 0.5], index: 0 }] });
    } else if (request.url !== "/v1/chat/completions") {
      reply(404, { error: { message: `no ${request.url}` } });
    }
  });
}

const workdir = mkdtempSync(join(tmpdir(), "atlas-jobs-"));
const uri = pathToFileURL(join(workdir, "add.py")).href;
const model = stalledModelServer();
let vscode: FakeVscode;
let idle: string;
let extension: typeof import("../src/extension");

async function until(what: string, probe: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    const seen = `messages: ${JSON.stringify(vscode.messages)}; output:\n${vscode.output.join("").slice(-3000)}`;
    assert.ok(Date.now() < deadline, `no ${what} within ${timeoutMs / 1000} s; ${seen}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs ATLAS: Solve on `add` as its code action does, and waits until the status bar shows it past its start. */
async function startSolve(): Promise<void> {
  void vscode.commands.get("atlas.solve")!({ uri, target: "add" });
  // The engine reports its first stage before it asks the model, which then never answers.
  await until("job in the status bar", () => /^ATLAS: Solve add: (?!starting\.)/.test(vscode.statusItem.tooltip ?? ""));
}

before(async () => {
  writeFileSync(join(workdir, "add.py"), STUB);
  model.listen(0, "127.0.0.1");
  await once(model, "listening");
  const url = `http://127.0.0.1:${(model.address() as AddressInfo).port}`;
  idle = `$(sparkle) ATLAS: ${url}`;
  vscode = new FakeVscode(
    {
      "atlas.serverPath": join(VENV, "bin/atlas-lsp"),
      "atlas.model": url,
      "atlas.candidates": 1,
      "atlas.lens": false,
      "atlas.workspaceContext": false,
    },
    workdir,
  );
  vscode.install();
  extension = await import("../src/extension");
  await extension.activate({ subscriptions: [] } as any);
  await until("running status", () => vscode.statusItem.text === idle);
});

after(async () => {
  await extension.deactivate();
  model.closeAllConnections();
  model.close();
  rmSync(workdir, { recursive: true, force: true });
});

test("a running job shows in the status bar with its progress, and a click on it cancels the job", async () => {
  await startSolve();
  assert.match(vscode.statusItem.text ?? "", /^\$\(sync~spin\) ATLAS: Solve add \d+%$/);
  assert.match(vscode.statusItem.tooltip ?? "", /\. Click to cancel it\.$/);
  assert.deepEqual(vscode.progressTitles, ["ATLAS: Solve add"], "the language client's own progress shows too");

  await vscode.commands.get(vscode.statusItem.command!)!();
  // Only the cancel ends this job: the model never answers, and a failure would be a message.
  await until("server state in the status bar", () => vscode.statusItem.text === idle);
  assert.equal(vscode.statusItem.command, "atlas.client.showOutput");
  assert.deepEqual(vscode.messages, []);
});

test("ATLAS: Cancel Job cancels the running job, and says so when none runs", async () => {
  await vscode.commands.get(CANCEL_JOB)!();
  assert.deepEqual(vscode.messages.splice(0), ["ATLAS: no job is running."]);

  await startSolve();
  await vscode.commands.get(CANCEL_JOB)!();
  await until("server state in the status bar", () => vscode.statusItem.text === idle);
  assert.deepEqual(vscode.messages, []);
});
