/** Entry point of the WeChat sandbox; the implementation is split across the files of this folder (see index.ts). */
export { createSandbox } from './index'
export type { Sandbox, SandboxFaults, SandboxKeys, SandboxOptions } from './types'
