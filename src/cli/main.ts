/**
 * `tessera <command>`: serve, migrate, and the operator's commands. Every error
 * is one line on stderr and a non-zero exit code; `--help` on every command.
 */
import { createRequire } from "node:module";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError, loadConfig } from "../core/config.js";
import { TesseraError } from "../core/errors.js";
import { commands, type Command } from "./commands.js";
import { UsageError } from "./usage-error.js";


function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  return `Usage: tessera <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun "tessera <command> --help" for a command's options. Configuration comes from the environment (see README).`;
}

function commandHelp(name: string, command: Command): string {
  const options = Object.entries(command.options ?? {}).map(([flag, o]) => `  --${flag}${o.type === "string" ? " <value>" : ""}${o.multiple ? " (repeatable)" : ""}\n      ${o.doc}`);
  return `Usage: tessera ${name} ${command.args ?? ""}\n\n${command.summary}\n${options.length ? `\nOptions:\n${options.join("\n")}\n` : ""}`;
}

/** Runs the CLI; resolves to the exit code. Output goes to the given streams (tests capture them). */
export async function main(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
}): Promise<number> {
  const [first, second] = argv;
  if (first === "--version" || first === "-v" || first === "version") {
    io.out(`tessera ${version()}`);
    return 0;
  }
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    io.out(usage());
    return first === undefined ? 1 : 0;
  }
  const name = second !== undefined && `${first} ${second}` in commands ? `${first} ${second}` : first;
  const command = commands[name];
  const group = Object.entries(commands).filter(([n]) => n.startsWith(`${first} `));
  if (!command && group.length > 0 && (second === undefined || second === "--help" || second === "-h")) {
    // "tessera users" or "tessera users --help": list the group's commands.
    io.out(`Usage: tessera ${first} <${group.map(([n]) => n.split(" ")[1]).join("|")}> [options]\n\n${group.map(([n, c]) => `  ${n.padEnd(18)} ${c.summary}`).join("\n")}`);
    return second === "--help" || second === "-h" ? 0 : 2;
  }
  if (!command) {
    io.err(`tessera: unknown command "${name}". Run "tessera --help".`);
    return 2;
  }
  const rest = argv.slice(name.split(" ").length);
  try {
    const optionSpec: ParseArgsConfig["options"] = { help: { type: "boolean", short: "h" } };
    for (const [flag, o] of Object.entries(command.options ?? {})) optionSpec[flag] = { type: o.type, ...(o.multiple ? { multiple: true } : {}) };
    const { args, restore } = shieldDashedValues(rest);
    const parsed = parseArgs({ args, options: optionSpec, allowPositionals: true, strict: true });
    const values = parsed.values;
    const positionals = parsed.positionals.map(restore);
    if (values.help) {
      io.out(commandHelp(name, command));
      return 0;
    }
    const config = loadConfig();
    return await command.run({ config, values: values as Record<string, string | boolean | string[] | undefined>, positionals, io });
  } catch (error) {
    io.err(`tessera ${name}: ${describe(error)}`);
    return error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 2 : 1;
  }
}

/**
 * Key ids are base64url and start with "-" one time in 64 (`-oX3…`), and a
 * username or a client id may too. parseArgs would take such a value for a
 * bundle of short options and refuse it. Here an argument is an option only if
 * it looks like one: `-h` (the one short option), `--name` or `--name=value`,
 * or a lone dash and a letter (an unknown short option, still refused). Any
 * other argument starting with "-" is a value: it is swapped for a placeholder
 * that parseArgs reads as a positional, and restored after.
 */
function shieldDashedValues(argv: string[]): { args: string[]; restore: (positional: string) => string } {
  const shielded = new Map<string, string>();
  const args = argv.map((arg, i) => {
    if (!arg.startsWith("-") || arg === "--" || /^-[A-Za-z]$/.test(arg) || /^--[a-z][a-z0-9-]*(=|$)/.test(arg)) return arg;
    const placeholder = `\u0000${i}`;
    shielded.set(placeholder, arg);
    return placeholder;
  });
  return { args, restore: (positional) => shielded.get(positional) ?? positional };
}

/** The package's version (package.json sits two folders up from src/cli and from dist/cli). */
function version(): string {
  const pkg = createRequire(import.meta.url)("../../package.json") as { version?: string };
  return pkg.version ?? "unknown";
}

function describe(error: unknown): string {
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join("; ")}`;
  if (error instanceof TesseraError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
