/**
 * Runs the notebooks headless through Jupyter: `deno task notebooks [--quick] [NAME...]`.
 *
 * For each notebook (all of `notebooks/src/*.ts`, or those whose names start with a given NAME, e.g.
 * `01`), it builds `notebooks/NN_name.ipynb` from its source (see build.ts), executes it with
 * `notebooks/_execute.py` (nbclient, with the fix for Deno's late outputs) in Deno's Jupyter kernel
 * started in `notebooks/`, and prints the time each took.
 *
 * - Full mode writes the executed notebook back into `notebooks/NN_name.ipynb` (the committed outputs).
 * - `--quick` sets `DENOGRAD_QUICK=1` for the kernel (notebooks shrink their steps and subsets) and
 *   writes the executed notebooks to `notebooks/out/` instead, leaving the committed ones alone.
 * - A failing cell (an exception, or a broken `assert`) prints the cell and its traceback, keeps the
 *   partial notebook in `notebooks/out/NN_name.ipynb`, and makes the exit status 1 once all have run.
 *
 * Permissions: Deno's kernel cannot take permission flags (`deno jupyter --kernel` rejects them and
 * starts with all permissions), so before a notebook's first cell the runner revokes every permission
 * the notebook does not declare. A source may list what it keeps in a header line before its first
 * cell marker, `// notebook-permissions: read, env` (the default); Deno can only revoke a permission
 * as a whole, so `read` is kept for all paths (module loading needs it).
 *
 * The Jupyter side needs Debian's `jupyter-core jupyter-nbconvert python3-nbclient` (`/usr/bin/python3`).
 * The kernelspec (`deno`, pointing at the running Deno binary) is written to
 * `notebooks/out/jupyter/kernels/deno/` and put first on `JUPYTER_PATH`, so a run always uses this Deno
 * whatever `deno jupyter --install` put in the user's Jupyter directory.
 *
 * @module
 */

import { buildNotebooks, listSources } from "./build.ts";

/** Options of {@linkcode runNotebooks}. */
export interface RunOptions {
  /** Folder holding `src/` and the `.ipynb` files; default: this file's folder. */
  dir?: string;
  /** Notebook names or prefixes (`01`, `01_setup`); default: all. */
  names?: string[];
  /** Quick mode: `DENOGRAD_QUICK=1`, results to `out/` only. Default false. */
  quick?: boolean;
  /** Seconds a single cell may run. Default 1200 (240 in quick mode). */
  cellTimeout?: number;
  /** Seconds one notebook may run before it is killed and retried once. Default 3600 (300 in quick mode). */
  timeLimit?: number;
  /** The Python that has nbclient. Default `/usr/bin/python3`. */
  python?: string;
  /** Where progress lines go. Default `console.log`. */
  log?: (line: string) => void;
}

/** What happened to one notebook. */
export interface NotebookResult {
  name: string;
  ok: boolean;
  seconds: number;
  /** The executed notebook. */
  path: string;
  /** The driver's stderr: the failing cell and its traceback when `ok` is false. */
  log: string;
}

const DEFAULT_KEEP = ["read", "env"];
const REVOCABLE = ["read", "write", "net", "env", "sys", "run", "ffi", "import"];

/** The permissions a notebook source keeps (its `// notebook-permissions:` header, else read and env). */
export function declaredPermissions(source: string): string[] {
  const header = source.split(/^\/\/ %%/m)[0];
  const m = header.match(/^\/\/ notebook-permissions:(.*)$/m);
  if (!m) return DEFAULT_KEEP;
  const keep = m[1].split(/[\s,]+/).filter(Boolean);
  const bad = keep.filter((p) => !REVOCABLE.includes(p));
  if (bad.length) throw new RangeError(`notebook-permissions: unknown ${bad.join(", ")}; expected ${REVOCABLE}`);
  if (!keep.includes("read")) throw new RangeError("notebook-permissions: read is needed to load modules");
  return keep;
}

/** Kernel code run before the first cell: revokes every permission not in `keep`. */
export function prelude(keep: string[]): string {
  const drop = REVOCABLE.filter((p) => !keep.includes(p));
  return `for (const name of ${
    JSON.stringify(drop)
  }) await Deno.permissions.revoke({ name } as Deno.PermissionDescriptor);\n`;
}

/** Whether `/usr/bin/python3` (or `python`) can import nbclient, i.e. the runner can work here. */
export async function jupyterAvailable(python = "/usr/bin/python3"): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(python, {
      args: ["-c", "import nbclient, nbformat, jupyter_client"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

function denoPath(): string {
  try {
    return Deno.execPath();
  } catch {
    return "deno"; // without read access to the binary's path, rely on PATH
  }
}

/** Builds and executes the notebooks; resolves with one result per notebook, in order. */
export async function runNotebooks(options: RunOptions = {}): Promise<NotebookResult[]> {
  const dir = options.dir ?? new URL(".", import.meta.url).pathname.replace(/\/$/, "");
  const log = options.log ?? console.log;
  const python = options.python ?? "/usr/bin/python3";
  const driver = new URL("./_execute.py", import.meta.url).pathname;
  const names = await listSources(dir, options.names ?? []);
  const out = `${dir}/out`;
  const jupyterPath = `${out}/jupyter`;
  await Deno.mkdir(`${jupyterPath}/kernels/deno`, { recursive: true });
  // quick mode builds into out/ so that it never writes the committed notebooks
  const built = await buildNotebooks(dir, names, options.quick ? out : undefined);
  if (built.length && !options.quick) log(`built ${built.join(", ")}`);

  const kernelspec = {
    argv: [denoPath(), "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
  await Deno.writeTextFile(`${jupyterPath}/kernels/deno/kernel.json`, JSON.stringify(kernelspec, null, 1) + "\n");

  const results: NotebookResult[] = [];
  for (const name of names) {
    const keep = declaredPermissions(await Deno.readTextFile(`${dir}/src/${name}.ts`));
    const preludePath = `${jupyterPath}/${name}.prelude.ts`;
    await Deno.writeTextFile(preludePath, prelude(keep));
    const executed = `${out}/${name}.ipynb`;
    const started = performance.now();
    // Deno's Jupyter kernel very occasionally stops answering mid-notebook; a run that hangs past
    // its limit or fails in the kernel (driver status 2) is retried once in a fresh kernel.
    // A failing cell (status 1) is never retried.
    const limitMs = (options.timeLimit ?? (options.quick ? 300 : 3600)) * 1000;
    let code = 2, stderr = new Uint8Array();
    for (let attempt = 1; attempt <= 2 && code === 2; attempt++) {
      if (attempt > 1) log(`     ${name}: the kernel stopped answering; retrying once in a fresh kernel`);
      try {
        ({ code, stderr } = await new Deno.Command(python, {
          args: [
            driver,
            options.quick ? executed : `${dir}/${name}.ipynb`,
            executed,
            "--kernel=deno",
            `--cwd=${dir}`,
            `--timeout=${options.cellTimeout ?? (options.quick ? 240 : 1200)}`,
            `--prelude=${preludePath}`,
          ],
          env: { JUPYTER_PATH: jupyterPath, DENOGRAD_QUICK: options.quick ? "1" : "0", PYTHONUNBUFFERED: "1" },
          stdout: "inherit",
          stderr: "piped",
          signal: AbortSignal.timeout(limitMs),
        }).output());
        if (code !== 0 && code !== 1) code = 2; // killed by the time limit, or a kernel error
      } catch (e) {
        if (!(e instanceof DOMException) || e.name !== "TimeoutError") throw e;
        code = 2;
        stderr = new TextEncoder().encode(`${name}: no result after ${limitMs / 1000} s (killed)`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const text = new TextDecoder().decode(stderr).split("\n")
      .filter((l) => !l.includes('"deno jupyter" is unstable')).join("\n").trim();
    const ok = code === 0;
    let path = executed;
    if (ok && !options.quick) {
      path = `${dir}/${name}.ipynb`;
      await Deno.copyFile(executed, path);
      await Deno.remove(executed);
    }
    results.push({ name, ok, seconds, path, log: text });
    log(`${ok ? "ok  " : "FAIL"} ${name.padEnd(28)} ${seconds.toFixed(1).padStart(7)} s  (keeps ${keep.join(", ")})`);
    if (!ok) log(text.replace(/^/gm, "     "));
  }
  const total = results.reduce((s, r) => s + r.seconds, 0);
  const failed = results.filter((r) => !r.ok);
  log(
    `${results.length - failed.length}/${results.length} notebooks passed in ${total.toFixed(1)} s` +
      (options.quick ? " (quick mode, outputs in notebooks/out/)" : ""),
  );
  return results;
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const names = Deno.args.filter((a) => !a.startsWith("--"));
  if (!(await jupyterAvailable())) {
    console.error(
      "notebooks: /usr/bin/python3 cannot import nbclient; install Debian's jupyter-core jupyter-nbconvert " +
        "python3-nbclient (apt-get install -y --no-install-recommends ...)",
    );
    Deno.exit(2);
  }
  const results = await runNotebooks({ names, quick });
  Deno.exit(results.every((r) => r.ok) ? 0 : 1);
}
