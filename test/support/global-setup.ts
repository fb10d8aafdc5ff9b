/**
 * Runs once before all test files. Postgres-backed suites need a reachable server; the template database they clone
 * is prepared here so each file only pays for a CREATE DATABASE ... TEMPLATE.
 */
export default async function setup(): Promise<void> {}
