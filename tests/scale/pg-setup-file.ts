/** setupFiles of the vitest project "server-pg": tests/helpers/server.ts starts its servers on this cluster. */
import { inject } from 'vitest'

const error = inject('testDatabaseError')
if (error)
  throw new Error(error)
process.env.TEST_DATABASE_URL = inject('testDatabaseUrl')
