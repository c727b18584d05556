/** The reference backend's public entry point. @module */
export { createReferenceBackend, ReferenceBackend } from "./backend.ts";
export { ReferenceStorage } from "./storage.ts";
