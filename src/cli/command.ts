/** What a CLI command is: a name, its help text and a run function returning an exit code. */
export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  cwd: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code: 0 ok, 1 error, 2 usage. */
  run(argv: string[], io: CommandIO): Promise<number>;
}

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
