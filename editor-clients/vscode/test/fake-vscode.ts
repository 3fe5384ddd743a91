/**
 * A stand-in for the `vscode` module, enough for the extension and vscode-languageclient to start,
 * talk to the real server and react to a settings change. It records what the user would see
 * (messages, the status bar, progress, the output channel); every member it does not model is inert.
 */
import Module from "node:module";
import { pathToFileURL } from "node:url";

type Listener = (event: unknown) => void;

export class FakeVscode {
  readonly messages: string[] = [];
  readonly statusTexts: string[] = [];
  /** The status bar item as the extension last set it. */
  statusItem: { text?: string; tooltip?: string; command?: string } = {};
  /** The titles of the progress shown (the language client's progress of each job), in order. */
  readonly progressTitles: string[] = [];
  readonly output: string[] = [];
  readonly commands = new Map<string, (...args: unknown[]) => unknown>();
  private readonly configurationListeners: Listener[] = [];

  constructor(
    /** Flat, as in settings.json: `"atlas.model": "small"`. */
    private readonly settings: Record<string, unknown>,
    private readonly workspaceFolder: string,
  ) {}

  /** Makes `require("vscode")` return this stand-in. */
  install(): void {
    const resolve = (Module as any)._resolveFilename;
    (Module as any)._resolveFilename = function (request: string, ...rest: unknown[]) {
      return request === "vscode" ? "vscode" : resolve.call(this, request, ...rest);
    };
    require.cache["vscode"] = { id: "vscode", filename: "vscode", loaded: true, exports: this.api() } as any;
  }

  /** Changes settings as the Settings editor would, and tells the listeners. */
  change(changes: Record<string, unknown>): void {
    Object.assign(this.settings, changes);
    const event = {
      affectsConfiguration: (section: string) =>
        Object.keys(changes).some((key) => key === section || key.startsWith(`${section}.`)),
    };
    this.configurationListeners.forEach((listener) => listener(event));
  }

  private section(name?: string): Record<string, unknown> & { get(key: string): unknown } {
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.settings)) {
      if (name === undefined) {
        const [section, setting] = key.split(".");
        values[section] = { ...(values[section] as object), [setting]: value };
      } else if (key.startsWith(`${name}.`)) {
        values[key.slice(name.length + 1)] = value;
      }
    }
    return { ...values, get: (key: string) => values[key] ?? null };
  }

  private api(): unknown {
    const fake = this;
    const said = (message: string) => {
      fake.messages.push(message);
      return Promise.resolve(undefined);
    };
    const folder = { uri: Uri.file(this.workspaceFolder), name: "workspace", index: 0 };
    return inertExcept({
      version: "1.82.0",
      Uri,
      EventEmitter,
      Disposable: class {
        constructor(private readonly release?: () => void) {}
        dispose() {
          this.release?.();
        }
        static from(...disposables: { dispose(): void }[]) {
          return { dispose: () => disposables.forEach((disposable) => disposable.dispose()) };
        }
      },
      StatusBarAlignment: { Left: 1, Right: 2 },
      env: { language: "en", appName: "fake", machineId: "fake", sessionId: "fake" },
      commands: {
        registerCommand: (id: string, run: (...args: unknown[]) => unknown) => {
          fake.commands.set(id, run);
          return { dispose: () => fake.commands.delete(id) };
        },
        executeCommand: async () => undefined,
      },
      window: inertExcept({
        createOutputChannel: () =>
          inertExcept({ append: (text: string) => fake.output.push(text), appendLine: (text: string) => fake.output.push(`${text}\n`) }),
        createStatusBarItem: () =>
          new Proxy((fake.statusItem = {}) as Record<string | symbol, unknown>, {
            set: (item, key, value) => {
              item[key] = value;
              if (key === "text") fake.statusTexts.push(String(value));
              return true;
            },
            get: (item, key) => (key in item ? item[key] : () => undefined),
          }),
        withProgress: (options: { title?: string }, task: (progress: unknown, token: unknown) => Promise<unknown>) => {
          fake.progressTitles.push(options.title ?? "");
          const token = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) };
          return task({ report: () => undefined }, token);
        },
        showErrorMessage: said,
        showWarningMessage: said,
        showInformationMessage: said,
        activeTextEditor: undefined,
        visibleTextEditors: [],
      }),
      workspace: inertExcept({
        getConfiguration: (name?: string) => fake.section(name),
        workspaceFolders: [folder],
        getWorkspaceFolder: () => folder,
        textDocuments: [],
        onDidChangeConfiguration: (listener: Listener) => {
          fake.configurationListeners.push(listener);
          return { dispose: () => undefined };
        },
      }),
    });
  }
}

class Uri {
  readonly scheme = "file";
  constructor(readonly fsPath: string) {}
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return pathToFileURL(this.fsPath).href;
  }
  static file(path: string): Uri {
    return new Uri(path);
  }
  static parse(text: string): Uri {
    return new Uri(decodeURIComponent(new URL(text).pathname));
  }
}

class EventEmitter<T> {
  private readonly listeners: ((event: T) => void)[] = [];
  readonly event = (listener: (event: T) => void) => {
    this.listeners.push(listener);
    return { dispose: () => undefined };
  };
  fire(event: T): void {
    this.listeners.forEach((listener) => listener(event));
  }
  dispose(): void {}
}

/** `members`, and for anything else a value that can be called, constructed and read from, doing nothing. */
function inertExcept<T extends object>(members: T): T {
  return new Proxy(members, { get: (target, key) => (key in target ? (target as any)[key] : inert()) });
}

function inert(): any {
  return new Proxy(function () {}, {
    get: (_target, key) => (key === "then" ? undefined : key === Symbol.toPrimitive ? () => "" : inert()),
    apply: () => inert(),
    construct: () => inert(),
  });
}
