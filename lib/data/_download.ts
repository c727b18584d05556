/** Downloading a dataset file: streamed to a temporary name, MD5-verified, then renamed. @module */
import { createHash } from "node:crypto";
import { permissionError, withPermission } from "../_permission.ts";

/** Options shared by the dataset loaders' `download: true` path. */
export interface FetchOptions {
  /** The `fetch` to use (default `globalThis.fetch`); tests pass a stub. */
  fetch?: typeof fetch;
  /** Give up when the server has not answered within this many ms (default 30000). */
  timeoutMs?: number;
}

/** The part of a path after its last `/`. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The folder of a path (`.` when none). */
export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/** `path` made absolute against the current directory, for messages. */
export function absolute(path: string): string {
  if (path.startsWith("/")) return path;
  let cwd = ".";
  try {
    cwd = Deno.cwd();
  } catch { /* no read permission on cwd: keep the relative path */ }
  const parts: string[] = [];
  for (const p of `${cwd}/${path}`.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return "/" + parts.join("/");
}

/** Whether a file or folder exists (false when it does not; other errors propagate). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw permissionError("data", "read", path, e) ?? e;
  }
}

/** A random suffix for temporary names. */
export function tempSuffix(): string {
  return `.part-${crypto.randomUUID().slice(0, 8)}`;
}

/** Removes `path` if it exists, ignoring errors (cleanup on a failure path). */
export async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch { /* already gone */ }
}

/**
 * Downloads `url` to `dest`, checking its MD5. The body is streamed to `dest.part-XXXX` while
 * being hashed and renamed to `dest` only when the digest matches, so a failure leaves nothing
 * behind. Errors name `op`, the URL, and `where` (the folder to fill by hand when offline).
 */
export async function downloadFile(
  op: string,
  url: string,
  md5: string,
  dest: string,
  where: string,
  options: FetchOptions = {},
): Promise<void> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30000);
  let response: Response;
  try {
    response = await doFetch(url, { signal: controller.signal });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status} ${response.statusText}`);
    }
  } catch (e) {
    const denied = permissionError(op, "net", url, e);
    if (denied) {
      throw new Error(`${denied.message}. Without network access, put the files in ${absolute(where)} yourself.`, {
        cause: e,
      });
    }
    throw new Error(
      `${op}: could not download ${url} (${(e as Error).message ?? e}). ` +
        `Without network access, put the files in ${absolute(where)} yourself.`,
      { cause: e },
    );
  } finally {
    clearTimeout(timer);
  }
  await withPermission(op, "write", dest, () => Deno.mkdir(dirname(dest), { recursive: true }));
  const temp = dest + tempSuffix();
  const hash = createHash("md5");
  try {
    const file = await Deno.open(temp, { write: true, createNew: true });
    try {
      for await (const chunk of response.body ?? new ReadableStream<Uint8Array>()) {
        hash.update(chunk);
        let written = 0;
        while (written < chunk.length) written += await file.write(chunk.subarray(written));
      }
    } finally {
      file.close();
    }
    const digest = hash.digest("hex");
    if (digest !== md5) {
      throw new Error(
        `${op}: ${url} downloaded with MD5 ${digest}, expected ${md5}; the file is corrupt or truncated ` +
          `and was removed. Retry, or put the files in ${absolute(where)} yourself.`,
      );
    }
    await Deno.rename(temp, dest);
  } catch (e) {
    await removeQuietly(temp);
    if ((e as Error).message?.startsWith(op)) throw e;
    const denied = permissionError(op, "write", dest, e);
    if (denied) throw denied;
    throw new Error(`${op}: downloading ${url} to ${dest} failed: ${(e as Error).message}`, { cause: e });
  }
}
