import type { Environment } from './types'
import { detectEnvironment } from './detect'
import { readProbe } from './probe'

export { detectEnvironment } from './detect'
export type { Environment, EnvironmentKind, EnvironmentProbe, OsName, OtherApp } from './types'

/** The environment of this page, from the build platform and the runtime's globals. */
export function currentEnvironment(): Environment {
  return detectEnvironment(readProbe(process.env.UNI_PLATFORM))
}
