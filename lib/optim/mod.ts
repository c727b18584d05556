/**
 * `optim`: optimizers and `optim.lrScheduler`.
 * @module
 */
