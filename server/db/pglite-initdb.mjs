// PGlite's initdb for a new data directory (`node pglite-initdb.mjs <dir>`, run by server/db/index.ts in a child
// process): initdb runs a second PostgreSQL WASM instance that PGlite does not release, and even a worker thread's
// memory is not all given back to the system, so run in the server it would stay in its RSS for good (≈ 450 MB).
import process from 'node:process'
import { PGlite } from '@electric-sql/pglite'

PGlite.create(process.argv[2])
  .then(db => db.close())
  .then(() => process.exit(0), (e) => {
    console.error(e)
    process.exit(1)
  })
