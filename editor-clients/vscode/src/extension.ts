/**
 * The ATLAS extension: runs atlas-lsp for Python files and shows the model in use, or the job running.
 *
 * Code actions, the commands behind them, progress and edits are all handled by the language client.
 * The server's command ids (atlas.solve, ...) are deliberately not contributed in package.json: the
 * client registers them itself, and a second registration fails.
 */
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorHandler,
  LanguageClient,
  ProgressToken,
  ResponseError,
  State,
  WorkDoneProgressBegin,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressEnd,
  WorkDoneProgressReport,
} from "vscode-languageclient/node";
import { AtlasSection, SECTION, cannotStartMessage, findExecutable, serverLaunch, serverSettings } from "./launch";

/** The extension's own commands, behind the status bar item; not the server's. */
const SHOW_OUTPUT = "atlas.client.showOutput";
const CANCEL_JOB = "atlas.client.cancelJob";

type ServerState = "starting" | "running" | "stopped";

/** A job the server reports with work-done progress: its title and what its latest report said. */
interface Job {
  title: string;
  message?: string;
  percentage?: number;
}

class Atlas {
  private client: LanguageClient | undefined;
  private state: ServerState = "stopped";
  /** The jobs running, by progress token, in the order they began. */
  private readonly jobs = new Map<ProgressToken, Job>();

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly status: vscode.StatusBarItem,
  ) {}

  async start(): Promise<void> {
    const section = vscode.workspace.getConfiguration(SECTION) as AtlasSection;
    const launch = serverLaunch(section, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
    if (findExecutable(launch.command) === undefined) {
      this.failed(cannotStartMessage(launch, `no executable file ${launch.command}`));
      return;
    }
    this.setState("starting");
    let started = false;
    let usual: ErrorHandler | undefined;
    const client = new LanguageClient(
      "atlas",
      "ATLAS",
      // No `transport`: with TransportKind.stdio the client would append `--stdio`, which atlas-lsp rejects.
      { command: launch.command, args: launch.args },
      {
        documentSelector: [{ scheme: "file", language: "python" }],
        outputChannel: this.output,
        initializationOptions: serverSettings(section),
        synchronize: { configurationSection: SECTION },
        middleware: {
          // The client shows each job's progress itself (with Cancel); the status bar item shows the latest.
          handleWorkDoneProgress: (token, progress, next) => {
            next(token, progress);
            this.onProgress(token, progress);
          },
          workspace: {
            // The section also holds serverPath and pythonPath, which the server would warn about as
            // unknown settings. An empty notification makes the server ask, and the answer is filtered below.
            didChangeConfiguration: (_sections, next) => next(undefined),
            configuration: async (params, token, next) => {
              const answers = await next(params, token);
              if (answers instanceof ResponseError) {
                return answers;
              }
              return answers.map((answer, index) =>
                params.items[index].section === SECTION && answer ? serverSettings(answer) : answer,
              );
            },
          },
        },
        // Without this the client shows two bare messages of its own before the closed handler's, which has the fix.
        initializationFailedHandler: () => false,
        errorHandler: {
          error: (error, message, count) => usual!.error(error, message, count),
          // A server that dies before it ever ran is misconfigured: restarting it only repeats the failure.
          closed: () =>
            started
              ? usual!.closed()
              : { action: CloseAction.DoNotRestart, message: cannotStartMessage(launch, "it exited at once; its output is in Output › ATLAS") },
        },
      },
    );
    usual = client.createDefaultErrorHandler();
    client.onDidChangeState(({ newState }) => {
      started ||= newState === State.Running;
      this.setState(newState === State.Running ? "running" : newState === State.Starting ? "starting" : "stopped");
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      // The client has already said so (with the errorHandler's message); keep the details in the log.
      this.output.appendLine(`ATLAS: the language server did not start: ${String(error)}`);
      this.setState("stopped");
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.needsStop()) {
      await client.stop();
    }
  }

  /**
   * The status bar item shows the latest job running, which a click cancels; otherwise it names the model
   * the server is set to use (unset: the server's `default`).
   */
  showStatus(): void {
    const job = this.latestJob()?.[1];
    if (job !== undefined) {
      const { title, message, percentage } = job;
      this.status.text = `$(sync~spin) ${title}${percentage === undefined ? "" : ` ${percentage}%`}`;
      this.status.tooltip = `${title}${message ? `: ${message}` : ""}. Click to cancel it.`;
      this.status.command = CANCEL_JOB;
    } else {
      const model = vscode.workspace.getConfiguration(SECTION).get<string | null>("model") ?? "default";
      const icon = { starting: "$(loading~spin)", running: "$(sparkle)", stopped: "$(error)" }[this.state];
      const doing = { starting: "is starting", running: "runs", stopped: "is not running" }[this.state];
      this.status.text = `${icon} ATLAS: ${model}`;
      this.status.tooltip = `atlas-lsp ${doing} with the ${model} model. Click for its output.`;
      this.status.command = SHOW_OUTPUT;
    }
    this.status.show();
  }

  /** Cancels the job the status bar shows, as the Cancel button of its progress does. */
  cancelJob(): void {
    const token = this.latestJob()?.[0];
    if (token === undefined || this.client === undefined) {
      void vscode.window.showInformationMessage("ATLAS: no job is running.");
      return;
    }
    void this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
  }

  private latestJob(): [ProgressToken, Job] | undefined {
    return [...this.jobs].at(-1);
  }

  private onProgress(token: ProgressToken, progress: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd): void {
    const job: Job | undefined = progress.kind === "begin" ? { title: progress.title } : this.jobs.get(token);
    if (progress.kind === "end" || job === undefined) {
      this.jobs.delete(token);
    } else {
      // A report leaves out what has not changed.
      this.jobs.set(token, { ...job, message: progress.message ?? job.message, percentage: progress.percentage ?? job.percentage });
    }
    this.showStatus();
  }

  private setState(state: ServerState): void {
    this.state = state;
    if (state !== "running") {
      this.jobs.clear(); // a server that stops ends its jobs without saying so
    }
    this.showStatus();
  }

  private failed(message: string): void {
    this.output.appendLine(message);
    this.setState("stopped");
    void vscode.window.showErrorMessage(message, "Open Settings").then((choice) => {
      if (choice) {
        void vscode.commands.executeCommand("workbench.action.openSettings", SECTION);
      }
    });
  }
}

let atlas: Atlas | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("ATLAS");
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right);
  const extension = new Atlas(output, status);
  atlas = extension;
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand(SHOW_OUTPUT, () => output.show()),
    vscode.commands.registerCommand(CANCEL_JOB, () => extension.cancelJob()),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration(`${SECTION}.serverPath`) || event.affectsConfiguration(`${SECTION}.pythonPath`)) {
        await extension.stop();
        await extension.start();
      } else if (event.affectsConfiguration(`${SECTION}.model`)) {
        extension.showStatus();
      }
    }),
  );
  await extension.start();
}

export async function deactivate(): Promise<void> {
  await atlas?.stop();
}
