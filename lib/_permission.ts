/**
 * Turns a missing Deno permission into an Error that says which flag to add, e.g.
 * `load: reading "x.safetensors" needs --allow-read=x.safetensors (or a parent folder)`.
 * @module
 */

/** The kind of access an operation needed. */
export type Access = "read" | "write" | "net" | "env";

function shown(target: string | URL): string {
  if (target instanceof URL) return target.protocol === "file:" ? decodeURIComponent(target.pathname) : target.href;
  return target;
}

function parent(path: string): string {
  const i = path.replace(/\/+$/, "").lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

function flag(access: Access, target: string): string {
  switch (access) {
    case "read":
      return `reading "${target}" needs --allow-read=${target} (or a parent folder)`;
    case "write":
      return `writing "${target}" needs --allow-write=${parent(target)} (its folder: the file is written ` +
        "to a temporary name there and renamed)";
    case "net": {
      let host = target;
      try {
        host = new URL(target).host;
      } catch { /* not a URL: show as is */ }
      return `downloading "${target}" needs --allow-net=${host}`;
    }
    case "env":
      return `reading the environment variable ${target} needs --allow-env=${target}`;
  }
}

/**
 * An Error naming `op` and the flag to add when `error` is a missing Deno permission
 * (`Deno.errors.NotCapable`), or the file mode to check when the operating system refused
 * (`Deno.errors.PermissionDenied`); null for any other error.
 */
export function permissionError(op: string, access: Access, target: string | URL, error: unknown): Error | null {
  const what = shown(target);
  if (error instanceof Deno.errors.NotCapable) {
    return new Error(`${op}: ${flag(access, what)}`, { cause: error });
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    const verb = access === "write" ? "writing" : access === "net" ? "connecting to" : "reading";
    return new Error(
      `${op}: the operating system denied ${verb} "${what}" (${error.message}); check the owner and mode of ` +
        "the file or folder (this is not a Deno --allow flag)",
      { cause: error },
    );
  }
  return null;
}

/** Runs `fn`, rethrowing a permission failure as {@link permissionError}'s message. */
export async function withPermission<T>(
  op: string,
  access: Access,
  target: string | URL,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw permissionError(op, access, target, e) ?? e;
  }
}
