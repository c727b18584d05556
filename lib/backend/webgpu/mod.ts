/** The WebGPU backend's public entry point. @module */
export { createWebGPUBackend, WebGPUBackend } from "./backend.ts";
export { WebGPUStorage } from "./storage.ts";
