/**
 * globalSetup of the vitest project "server-pg": a throw-away PostgreSQL cluster for the server integration suite.
 * Its URL reaches the test files through provide/inject (pg-setup-file.ts sets TEST_DATABASE_URL from it), so the
 * "server" project, which runs the same files on PGlite, is not affected. When PostgreSQL or nginx is missing, the
 * reason is handed over instead and the project's files fail with it (a throw here would stop every project).
 */
import type { TestProject } from 'vitest/node'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startPgCluster } from './pg-cluster'
import { assertPrereqs } from './prereqs'

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://… of the cluster's maintenance database; empty when it could not be started. */
    testDatabaseUrl: string
    /** Why there is no cluster (empty when there is one). */
    testDatabaseError: string
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  project.provide('testDatabaseUrl', '')
  project.provide('testDatabaseError', '')
  try {
    assertPrereqs()
  }
  catch (e) {
    project.provide('testDatabaseError', (e as Error).message)
    return undefined
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'uc-server-pg-'))
  try {
    const cluster = await startPgCluster(path.join(dir, 'pg'))
    project.provide('testDatabaseUrl', cluster.url())
    return async () => {
      await cluster.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  catch (e) {
    rmSync(dir, { recursive: true, force: true })
    project.provide('testDatabaseError', `could not start PostgreSQL: ${(e as Error).message}`)
    return undefined
  }
}
