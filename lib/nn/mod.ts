/**
 * `nn`: modules (layers, containers, losses) and `nn.utils`.
 * @module
 */
export { Module, type StateDict } from "./module.ts";
export * from "../losses/modules.ts";
