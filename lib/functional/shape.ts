/** `F` functions: shape. @module */
export {};
