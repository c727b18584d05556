import assert from "node:assert/strict";
import { tensor } from "../mod.ts";
Deno.test("probe", async () => { assert.deepEqual(await tensor([1,2]).toArray(), [1,2]); });
