/** `F` functions: nn. @module */
export {};
