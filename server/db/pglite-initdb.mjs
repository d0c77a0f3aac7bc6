// PGlite's initdb for a new data directory, in a worker thread (server/db/index.ts): initdb runs a second PostgreSQL
// WASM instance that PGlite does not release, so run in the server's own thread it would stay in its memory for good
// (≈ 450 MB of a first start's RSS). A worker's memory is returned when the worker ends.
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'

PGlite.create(workerData.dir)
  .then(db => db.close())
  .then(() => parentPort.postMessage('initialised'))
