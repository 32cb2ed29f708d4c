/**
 * @module Public surface of the browser-safe proof verifier: byte layout, proof codec and verification.
 * Nothing here imports node:*, so the web app bundles it as is.
 */
export * from './layout.ts'
export * from './proof.ts'
export * from './verify.ts'
