/**
 * The extension's launch and settings, and the real server driven through them with the small model:
 * the settings from the README, a stub, "ATLAS: Solve", and code that works afterwards.
 *
 * The editor side (answering progress, configuration and edit requests) is played by this test, as
 * the language client does it in VS Code.
 */
import assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, describe, test } from "node:test";
import type {
  ApplyWorkspaceEditParams,
  CodeAction,
  ConfigurationParams,
  ShowMessageParams,
  TextDocumentEdit,
  TextEdit,
  WorkDoneProgressBegin,
  WorkDoneProgressEnd,
  WorkDoneProgressReport,
} from "vscode-languageclient/node";
import { MessageConnection, StreamMessageReader, StreamMessageWriter, createMessageConnection } from "vscode-jsonrpc/node";
import { AtlasSection, SECTION, cannotStartMessage, findExecutable, serverLaunch, serverSettings } from "../src/launch";
import { REPO, VENV } from "./environment";
const SOLVE_TIMEOUT_MS = 10 * 60_000;
const STUB = 'def add(a, b):\n    """Return the sum of a and b.\n    >>> add(2, 3)\n    5\n    """\n    ...\n';
const CHECKS = "assert add(2, 3) == 5\nassert add(-4, 4) == 0\nassert add(10, 32) == 42";

/** The settings.json block of README.md that follows `marker`, as `getConfiguration("atlas")` would hold it. */
function documentedSection(marker: string): AtlasSection {
  const docs = readFileSync(join(REPO, "README.md"), "utf8");
  const block = docs.slice(docs.indexOf(marker)).match(/```json\n([\s\S]*?)```/);
  assert.ok(docs.includes(marker) && block, `README.md has no settings block after ${marker}`);
  const flat: Record<string, unknown> = JSON.parse(block[1]);
  return Object.fromEntries(
    Object.entries(flat).map(([key, value]) => [key.slice(`${SECTION}.`.length), value]),
  ) as AtlasSection;
}

type Progress = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

/** The server process and the editor's half of the conversation, recorded. */
class Editor {
  readonly created: string[] = [];
  readonly progress = new Map<string, Progress[]>();
  readonly messages: ShowMessageParams[] = [];
  readonly edits: ApplyWorkspaceEditParams[] = [];
  stderr = "";
  /** How the server process ended, once it has. */
  exit: string | undefined;
  private readonly connection: MessageConnection;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly server: ChildProcess,
    section: AtlasSection,
  ) {
    server.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.connection = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    server.on("exit", (code, signal) => {
      this.exit = code === null ? `signal ${signal}` : `code ${code}`;
      this.connection.dispose(); // rejects the requests still waiting for an answer
      this.wake();
    });
    this.connection.onRequest("window/workDoneProgress/create", ({ token }: { token: string }) => {
      this.created.push(token);
      this.wake();
      return null;
    });
    this.connection.onRequest("workspace/configuration", ({ items }: ConfigurationParams) =>
      items.map((item) => (item.section === SECTION ? serverSettings(section) : null)),
    );
    this.connection.onRequest("workspace/applyEdit", (params: ApplyWorkspaceEditParams) => {
      this.edits.push(params);
      this.wake();
      return { applied: true };
    });
    this.connection.onRequest("client/registerCapability", () => null);
    this.connection.onNotification("$/progress", ({ token, value }: { token: string | number; value: Progress }) => {
      this.progress.set(String(token), [...(this.progress.get(String(token)) ?? []), value]);
      this.wake();
    });
    this.connection.onNotification("window/showMessage", (params: ShowMessageParams) => this.messages.push(params));
    this.connection.listen();
  }

  private wake(): void {
    this.waiters.forEach((check) => check());
  }

  async request<R>(method: string, params: unknown): Promise<R> {
    try {
      return await this.connection.sendRequest<R>(method, params);
    } catch (error) {
      throw new Error(`${method} failed: ${String(error)}${this.stderrTail()}`);
    }
  }

  private stderrTail(): string {
    const state = this.exit === undefined ? "" : ` (the server exited with ${this.exit})`;
    return `${state}; server stderr:\n${this.stderr.slice(-3000)}`;
  }

  notify(method: string, params: unknown): void {
    void this.connection.sendNotification(method, params);
  }

  /** Resolves with the first non-undefined value of `probe`, checked whenever the server sends something. */
  until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = probe();
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (this.exit !== undefined) {
          finish();
          reject(new Error(`no ${what}${this.stderrTail()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${timeoutMs / 1000} s${this.stderrTail()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    if (this.exit !== undefined) {
      return;
    }
    const exited = once(this.server, "exit");
    await this.request("shutdown", null);
    this.notify("exit", null);
    const timer = setTimeout(() => this.server.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Starts the server as the extension's serverOptions would and initializes it as VS Code's client does. */
async function startEditor(section: AtlasSection, workdir: string): Promise<Editor> {
  const launch = serverLaunch(section, workdir);
  // The language client spawns `command args` in the workspace folder, with no extra arguments.
  const editor = new Editor(spawn(launch.command, launch.args, { cwd: workdir }), section);
  const root = pathToFileURL(workdir).href;
  await editor.request("initialize", {
    processId: process.pid,
    rootUri: root,
    workspaceFolders: [{ uri: root, name: "workspace" }],
    initializationOptions: serverSettings(section),
    capabilities: {
      workspace: {
        applyEdit: true,
        workspaceEdit: { documentChanges: true },
        configuration: true,
        didChangeConfiguration: { dynamicRegistration: true },
      },
      window: { workDoneProgress: true, showMessage: {} },
      textDocument: {
        synchronization: { dynamicRegistration: true },
        codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ["", "quickfix", "refactor", "refactor.rewrite"] } } },
      },
    },
  });
  editor.notify("initialized", {});
  // What the extension's didChangeConfiguration middleware sends right after start: the server then asks.
  editor.notify("workspace/didChangeConfiguration", { settings: null });
  return editor;
}

/** Applies LSP text edits; JavaScript strings count UTF-16 units, as LSP positions do by default. */
function applyTextEdits(text: string, edits: TextEdit[]): string {
  const lineStarts = [0, ...[...text.matchAll(/\n/g)].map((match) => match.index! + 1)];
  const offset = ({ line, character }: { line: number; character: number }): number =>
    line < lineStarts.length ? lineStarts[line] + character : text.length;
  const ordered = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  return ordered.reduce((result, edit) => result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end)), text);
}

describe("launch and settings", () => {
  test("serverPath wins, then pythonPath runs the module, else atlas-lsp from PATH", () => {
    assert.deepEqual(serverLaunch({ serverPath: "/opt/atlas/bin/atlas-lsp", pythonPath: "/usr/bin/python3" }), {
      command: "/opt/atlas/bin/atlas-lsp",
      args: [],
    });
    assert.deepEqual(serverLaunch({ pythonPath: "python3" }), { command: "python3", args: ["-m", "atlas_lsp.cli"] });
    assert.deepEqual(serverLaunch({ serverPath: null, pythonPath: "" }), { command: "atlas-lsp", args: [] });
    assert.equal(serverLaunch({ serverPath: ".venv/bin/atlas-lsp" }, "/work/project").command, "/work/project/.venv/bin/atlas-lsp");
  });

  test("only the server's own settings are sent, and only those set", () => {
    const section = { serverPath: "/x", pythonPath: "/y", model: "small", candidates: 2, maxTokens: null, lens: false };
    assert.deepEqual(serverSettings(section), { model: "small", candidates: 2, lens: false });
  });

  test("a server that is not there is found out before spawning, with the fix in the message", () => {
    assert.equal(findExecutable("atlas-lsp-that-is-not-installed"), undefined);
    assert.equal(findExecutable("atlas-lsp", join(VENV, "bin")), join(VENV, "bin", "atlas-lsp"));
    const message = cannotStartMessage(serverLaunch({ pythonPath: "/usr/bin/python3" }), "it exited at once");
    assert.match(message, /\/usr\/bin\/python3 -m atlas_lsp\.cli/);
    assert.match(message, /Fix: set `atlas\.serverPath`/);
  });

  test("package.json leaves the server's command ids to the language client", () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8"));
    assert.equal(manifest.engines.vscode, "^1.82.0");
    const contributed: string[] = (manifest.contributes.commands ?? []).map((command: { command: string }) => command.command);
    assert.deepEqual(contributed.filter((id) => ["atlas.solve", "atlas.verify", "atlas.repair"].includes(id)), []);
    assert.ok(contributed.includes("atlas.client.cancelJob"), "the extension's own Cancel Job command is in the palette");
  });
});

describe("the real server", () => {
  const workdir = mkdtempSync(join(tmpdir(), "atlas-vscode-"));
  after(() => rmSync(workdir, { recursive: true, force: true }));

  test("pythonPath starts it as python -m atlas_lsp.cli", { timeout: 120_000 }, async () => {
    const editor = await startEditor({ pythonPath: join(VENV, "bin/python") }, workdir);
    await editor.close();
    assert.equal(editor.exit, "code 0", editor.stderr);
  });

  test("ATLAS: Solve on a stub applies code that works", { timeout: SOLVE_TIMEOUT_MS + 120_000 }, async (t) => {
    const section: AtlasSection = { ...documentedSection("<!-- vscode-settings:"), serverPath: join(VENV, "bin/atlas-lsp") };
    assert.deepEqual(serverSettings(section), { model: "small", candidates: 2 });
    const path = join(workdir, "add.py");
    writeFileSync(path, STUB);
    const uri = pathToFileURL(path).href;
    const editor = await startEditor(section, workdir);
    try {
      editor.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text: STUB } });
      const actions = await editor.request<CodeAction[]>("textDocument/codeAction", {
        textDocument: { uri },
        range: { start: { line: 0, character: 4 }, end: { line: 0, character: 4 } },
        context: { diagnostics: [], triggerKind: 1 },
      });
      assert.deepEqual(actions.map((action) => action.title), ["ATLAS: Solve"]);
      const { command } = actions[0];
      assert.ok(command);

      const started = Date.now();
      await editor.request("workspace/executeCommand", { command: command.command, arguments: command.arguments });
      const token = await editor.until(() => editor.created[0], 60_000, "progress token");
      const outcome = await editor.until(
        () => editor.edits[0] ?? editor.progress.get(token)?.find((value) => value.kind === "end"),
        SOLVE_TIMEOUT_MS,
        "edit",
      );
      t.diagnostic(`solve took ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.ok("edit" in outcome, `no edit; the job ended with ${JSON.stringify(outcome)}; messages: ${JSON.stringify(editor.messages)}`);

      const [change] = outcome.edit.documentChanges as TextDocumentEdit[];
      assert.equal(change.textDocument.uri, uri);
      assert.equal(change.textDocument.version, 1);
      const solved = applyTextEdits(STUB, change.edits as TextEdit[]);
      t.diagnostic(`solved:\n${solved}`);
      writeFileSync(path, solved);
      execFileSync(join(VENV, "bin/python"), ["-c", `${solved}\n${CHECKS}`], { timeout: 30_000 });

      const end = await editor.until(() => editor.progress.get(token)?.find((value) => value.kind === "end"), 30_000, "progress end");
      assert.equal(editor.progress.get(token)![0].kind, "begin");
      assert.match((end as WorkDoneProgressEnd).message ?? "", /^Applied/);
    } finally {
      await editor.close();
    }
  });
});
