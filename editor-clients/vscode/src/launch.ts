/**
 * How the extension starts atlas-lsp and which settings it hands over.
 *
 * Kept free of the `vscode` module so the test starts the real server exactly as the extension does.
 */
import { accessSync, constants, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve, sep } from "node:path";

export const SECTION = "atlas";

/** Keys of the server's own settings (atlas_lsp/settings.py `RULES`), which it reads in camelCase as written here. */
const SERVER_KEYS = [
  "model",
  "budget",
  "candidates",
  "maxTokens",
  "testSeconds",
  "lens",
  "traceDir",
  "workspaceContext",
  "contextTokens",
  "contextExclude",
  "gpuLayers",
  "repairAnalysis",
  "servedModel",
  "apiKey",
  "requestTimeout",
  "threads",
  "contextSize",
  "preview",
] as const;

export type ServerSettings = { [key in (typeof SERVER_KEYS)[number]]?: unknown };

/** The `atlas` section as VS Code holds it: server settings plus the two that only say how to start it. */
export interface AtlasSection extends ServerSettings {
  readonly serverPath?: string | null;
  readonly pythonPath?: string | null;
}

export interface ServerLaunch {
  readonly command: string;
  readonly args: string[];
}

/**
 * `atlas.serverPath`, else `atlas.pythonPath -m atlas_lsp.cli`, else `atlas-lsp` from PATH.
 * A relative path is taken from the workspace folder, as a user reading settings.json would expect.
 */
export function serverLaunch(section: AtlasSection, workspaceFolder?: string): ServerLaunch {
  if (section.serverPath) {
    return { command: asPath(section.serverPath, workspaceFolder), args: [] };
  }
  if (section.pythonPath) {
    return { command: asPath(section.pythonPath, workspaceFolder), args: ["-m", "atlas_lsp.cli"] };
  }
  return { command: "atlas-lsp", args: [] };
}

/**
 * The settings to send: only the server's keys (it reports any other key as unknown) and only those
 * set, so the server's defaults apply to the rest. Values go as they are: the server checks them and
 * says which one it ignored and why.
 */
export function serverSettings(section: ServerSettings): ServerSettings {
  const settings: ServerSettings = {};
  for (const key of SERVER_KEYS) {
    const value = section[key];
    if (value !== undefined && value !== null) {
      settings[key] = value;
    }
  }
  return settings;
}

/** The file that would run for `command`, or undefined when there is none (checked before spawning, for a clear message). */
export function findExecutable(command: string, path: string = process.env.PATH ?? ""): string | undefined {
  const candidates = command.includes(sep) ? [command] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  return candidates.find(isExecutable);
}

/** What the user reads when the server cannot start: what was tried, and how to fix it. */
export function cannotStartMessage(launch: ServerLaunch, reason: string): string {
  const tried = [launch.command, ...launch.args].join(" ");
  return (
    `ATLAS: the language server \`${tried}\` cannot start (${reason}). ` +
    "Fix: set `atlas.serverPath` to the atlas-lsp executable (in a checkout, `.venv/bin/atlas-lsp` after " +
    "`scripts/install.sh`), or `atlas.pythonPath` to a Python that has atlas_lsp installed."
  );
}

function asPath(path: string, base?: string): string {
  const expanded = path === "~" || path.startsWith(`~${sep}`) ? join(homedir(), path.slice(1)) : path;
  if (!expanded.includes(sep)) {
    return expanded; // a bare name such as `python3` is looked up on PATH
  }
  return base ? resolve(base, expanded) : resolve(expanded);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
